use super::*;

/// `frames` 20 ms frames: a 440 Hz tone on the left, silence on the right.
fn tone_left(frames: usize) -> Vec<i16> {
    (0..frames * FRAME_SAMPLES)
        .flat_map(|n| {
            let t = n as f64 / f64::from(INPUT_RATE);
            let left = (8_000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as i16;
            [left, 0]
        })
        .collect()
}

fn encode(interleaved: &[i16]) -> (Vec<u8>, u16) {
    let mut writer = OggOpusWriter::new().unwrap();
    for frame in interleaved.chunks(FRAME_SAMPLES * 2) {
        writer.push_frame(frame).unwrap();
    }
    let pre_skip = writer.pre_skip();
    (writer.finish().unwrap(), pre_skip)
}

fn packets(file: &[u8]) -> Vec<ogg::Packet> {
    let mut reader = ogg::PacketReader::new(std::io::Cursor::new(file));
    let mut all = Vec::new();
    while let Some(packet) = reader.read_packet().unwrap() {
        all.push(packet);
    }
    all
}

#[test]
fn the_headers_follow_rfc_7845() {
    let (file, pre_skip) = encode(&tone_left(10));
    assert_eq!(&file[..4], b"OggS");
    let packets = packets(&file);
    let head = &packets[0].data;
    assert_eq!(&head[..8], b"OpusHead");
    assert_eq!(head.len(), 19);
    assert_eq!(head[8], 1, "version");
    assert_eq!(head[9], 2, "channels");
    assert_eq!(u16::from_le_bytes([head[10], head[11]]), pre_skip);
    let encoder = Encoder::new(SampleRate::Hz8000, Channels::Stereo, Application::Voip).unwrap();
    assert_eq!(u64::from(pre_skip), u64::from(encoder.lookahead().unwrap()) * 6);
    assert!(pre_skip > 0);
    assert_eq!(u32::from_le_bytes(head[12..16].try_into().unwrap()), 8_000);
    assert_eq!(i16::from_le_bytes([head[16], head[17]]), 0, "output gain");
    assert_eq!(head[18], 0, "channel mapping family");
    assert!(packets[0].last_in_page() && packets[0].absgp_page() == 0);
    let tags = &packets[1].data;
    assert_eq!(&tags[..8], b"OpusTags");
    let vendor_len = u32::from_le_bytes(tags[8..12].try_into().unwrap()) as usize;
    assert_eq!(&tags[12..12 + vendor_len], VENDOR.as_bytes());
    assert_eq!(&tags[12 + vendor_len..], &0u32.to_le_bytes());
    assert!(packets[1].last_in_page() && packets[1].absgp_page() == 0);
    // Each header on a page of its own: the first audio packet starts a new page.
    assert!(packets[2].first_in_page());
}

#[test]
fn granule_positions_count_48_khz_samples_and_trim_the_end() {
    let frames = 600; // 12 s: several pages
    let (file, pre_skip) = encode(&tone_left(frames));
    let packets = packets(&file);
    let audio = &packets[2..];
    assert_eq!(
        audio.len(),
        frames + 1,
        "every frame, plus the one flushing the lookahead"
    );
    let pages: Vec<u64> = audio
        .iter()
        .filter(|p| p.last_in_page())
        .map(|p| p.absgp_page())
        .collect();
    assert!(pages.len() > 1, "a 12 s recording spans pages");
    // On every page but the last, the granule is the end of its last packet, at 960 a packet.
    let mut seen = 0u64;
    for packet in &audio[..audio.len() - 1] {
        seen += 960;
        if packet.last_in_page() {
            assert_eq!(packet.absgp_page(), seen);
        }
    }
    let last = audio.last().unwrap();
    assert!(last.last_in_stream());
    assert_eq!(last.absgp_page(), u64::from(pre_skip) + frames as u64 * 960);
    assert!(pages.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn a_recording_decodes_back_to_its_samples() {
    let frames = 100;
    let input = tone_left(frames);
    let (file, _) = encode(&input);
    let output = decode_ogg_opus(&file).unwrap();
    assert_eq!(
        output.len(),
        input.len(),
        "the decoded length is the pushed length"
    );
    let left = |s: &[i16]| s.iter().step_by(2).map(|&x| f64::from(x)).collect::<Vec<_>>();
    let right = |s: &[i16]| {
        s.iter()
            .skip(1)
            .step_by(2)
            .map(|&x| f64::from(x))
            .collect::<Vec<_>>()
    };
    let (sent, got) = (left(&input), left(&output));
    // Past the codec's settling, the tone comes back in place (the pre-skip aligned it).
    let dot: f64 = sent[800..].iter().zip(&got[800..]).map(|(a, b)| a * b).sum();
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let correlation = dot / (norm(&sent[800..]) * norm(&got[800..]));
    assert!(correlation > 0.9, "correlation {correlation}");
    let energy = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64;
    assert!(
        energy(&right(&output)) < energy(&got) / 100.0,
        "the silent right channel stays quiet"
    );
}

#[test]
fn a_frame_of_the_wrong_size_is_refused() {
    let mut writer = OggOpusWriter::new().unwrap();
    let err = writer.push_frame(&[0; 100]).unwrap_err();
    assert!(matches!(
        err,
        OggOpusError::FrameSize {
            expected: 320,
            got: 100
        }
    ));
    assert_eq!(writer.duration_ms(), 0);
}

#[test]
fn an_empty_recording_is_a_valid_stream_of_no_samples() {
    let (file, _) = encode(&[]);
    assert!(decode_ogg_opus(&file).unwrap().is_empty());
}
