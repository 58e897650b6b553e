//! Tests of the WAV reader and writer: sox-written fixtures, hand-built headers, and random
//! or damaged bytes.

use super::*;
use proptest::prelude::*;

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/").to_owned() + path).unwrap()
}

fn pcm_fmt_chunk(tag: u16, channels: u16, rate: u32, bits: u16) -> Vec<u8> {
    let align = channels * bits / 8;
    let mut chunk = b"fmt \x10\x00\x00\x00".to_vec();
    for field in [
        &tag.to_le_bytes()[..],
        &channels.to_le_bytes(),
        &rate.to_le_bytes(),
    ] {
        chunk.extend_from_slice(field);
    }
    chunk.extend_from_slice(&(rate * u32::from(align)).to_le_bytes());
    chunk.extend_from_slice(&align.to_le_bytes());
    chunk.extend_from_slice(&bits.to_le_bytes());
    chunk
}

fn riff(chunks: &[&[u8]]) -> Vec<u8> {
    let body: Vec<u8> = chunks.concat();
    let mut file = b"RIFF".to_vec();
    file.extend_from_slice(&(body.len() as u32 + 4).to_le_bytes());
    file.extend_from_slice(b"WAVE");
    file.extend_from_slice(&body);
    file
}

fn data_chunk(data: &[u8]) -> Vec<u8> {
    let mut chunk = b"data".to_vec();
    chunk.extend_from_slice(&(data.len() as u32).to_le_bytes());
    chunk.extend_from_slice(data);
    if data.len() % 2 == 1 {
        chunk.push(0);
    }
    chunk
}

#[test]
fn reads_a_sox_written_ulaw_fixture() {
    // sox writes an 18-byte fmt chunk and a fact chunk for μ-law.
    let bytes = fixture("caller/yes.wav");
    let wav = Wav::parse(&bytes).unwrap();
    assert_eq!((wav.sample_rate, wav.channels), (8000, 1));
    let WavSamples::Ulaw(codes) = &wav.samples else {
        panic!("expected μ-law")
    };
    assert_eq!(
        codes.len(),
        bytes.len() - 58,
        "header of RIFF + fmt(18) + fact + data"
    );
    assert_eq!(&codes[..], &bytes[58..]);
    assert!((wav.duration().as_secs_f64() - codes.len() as f64 / 8000.0).abs() < 1e-9);
}

#[test]
fn written_ulaw_is_what_sox_writes() {
    let bytes = fixture("caller/yes.wav");
    let wav = Wav::parse(&bytes).unwrap();
    assert_eq!(wav.to_bytes().unwrap(), bytes);
}

#[test]
fn writes_canonical_pcm_headers() {
    let wav = Wav::pcm16(16000, 2, vec![1, -1, 2, -2]);
    let bytes = wav.to_bytes().unwrap();
    let expected = riff(&[
        &pcm_fmt_chunk(1, 2, 16000, 16),
        &data_chunk(&[1, 0, 255, 255, 2, 0, 254, 255]),
    ]);
    assert_eq!(bytes, expected);
    assert_eq!(wav.frames(), 2);
}

#[test]
fn reads_extensible_pcm_and_skips_unknown_and_odd_sized_chunks() {
    let mut fmt = b"fmt \x28\x00\x00\x00".to_vec();
    fmt.extend_from_slice(&pcm_fmt_chunk(FORMAT_EXTENSIBLE, 1, 24000, 16)[8..]);
    fmt.extend_from_slice(&22u16.to_le_bytes());
    fmt.extend_from_slice(&16u16.to_le_bytes());
    fmt.extend_from_slice(&4u32.to_le_bytes());
    fmt.extend_from_slice(&FORMAT_PCM.to_le_bytes());
    fmt.extend_from_slice(&SUBFORMAT_GUID_TAIL);
    let odd = b"junk\x03\x00\x00\x00abc\x00";
    let bytes = riff(&[
        odd,
        &fmt,
        b"LIST\x00\x00\x00\x00",
        &data_chunk(&[0x10, 0x00, 0xF0, 0xFF]),
    ]);
    assert_eq!(Wav::parse(&bytes).unwrap(), Wav::pcm16(24000, 1, vec![16, -16]));
}

#[test]
fn rejects_what_it_cannot_read_with_a_specific_error() {
    let fmt = pcm_fmt_chunk(1, 1, 8000, 16);
    let data = data_chunk(&[0; 8]);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"RIFX\x00\x00\x00\x00WAVE".to_vec(), "no RIFF/WAVE header"),
        (b"RIFF\x04\x00\x00\x00AVI ".to_vec(), "no RIFF/WAVE header"),
        (b"RIF".to_vec(), "no RIFF/WAVE header"),
        (
            [&b"RIFF\x03\x00\x00\x00WAVE"[..], &fmt, &data].concat(),
            "RIFF size smaller than its WAVE tag",
        ),
        (riff(&[&fmt]), "no data chunk"),
        (riff(&[&data]), "no fmt chunk"),
        (riff(&[&fmt, &fmt, &data]), "more than one \"fmt \" chunk"),
        (riff(&[&fmt, &data, &data]), "more than one \"data\" chunk"),
        (
            riff(&[&pcm_fmt_chunk(3, 1, 8000, 32), &data]),
            "format tag 0x0003 with 32 bits",
        ),
        (
            riff(&[&pcm_fmt_chunk(1, 1, 8000, 24), &data]),
            "format tag 0x0001 with 24 bits",
        ),
        (riff(&[&pcm_fmt_chunk(6, 1, 8000, 8), &data]), "format tag 0x0006"),
        (riff(&[&pcm_fmt_chunk(1, 3, 8000, 16), &data]), "channel count 3"),
        (riff(&[&pcm_fmt_chunk(1, 1, 0, 16), &data]), "sample rate 0"),
        (
            riff(&[&[b"fmt \x0c\x00\x00\x00", &fmt[8..20]].concat(), &data]),
            "shorter than 16 bytes",
        ),
        (riff(&[&fmt, &data_chunk(&[0; 7])]), "ends inside a sample frame"),
        (
            riff(&[&fmt, &data[..12]]),
            "the \"data\" chunk needs 8 bytes but only 4 are left",
        ),
        (
            riff(&[&fmt, b"da"]),
            "the \"RIFF\" chunk needs 8 bytes but only 2 are left",
        ),
        (
            riff(&[&fmt, &data])[..40].to_vec(),
            "the \"RIFF\" chunk needs 44 bytes but only 32 are left",
        ),
    ];
    for (bytes, message) in cases {
        let err = Wav::parse(&bytes).expect_err(message).to_string();
        assert!(err.contains(message), "expected {message:?} in {err:?}");
    }
    let mut bad_align = pcm_fmt_chunk(1, 1, 8000, 16);
    bad_align[20] = 4;
    assert!(matches!(
        Wav::parse(&riff(&[&bad_align, &data])),
        Err(WavError::Malformed(_))
    ));
}

#[test]
fn chunk_ids_print_readably_even_when_binary() {
    assert_eq!(ChunkId(*b"da\x00\xff").to_string(), "\"da\\x00\\xff\"");
}

#[test]
fn files_round_trip_through_the_file_system() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.wav");
    let wav = Wav::ulaw_8k_mono(vec![1, 2, 3]);
    wav.write_file(&path).unwrap();
    assert_eq!(Wav::read_file(&path).unwrap(), wav);
    let missing = Wav::read_file(dir.path().join("missing.wav")).unwrap_err();
    assert!(matches!(missing, WavError::Io { .. }) && missing.to_string().contains("missing.wav"));
    assert!(matches!(
        Wav::pcm16(8000, 3, vec![0; 3]).to_bytes(),
        Err(WavError::UnsupportedChannels(3))
    ));
}

fn any_wav() -> impl Strategy<Value = Wav> {
    let rate = prop_oneof![Just(8000u32), Just(16000), Just(44100), 1u32..200_000];
    (
        rate,
        1u16..=2,
        any::<bool>(),
        proptest::collection::vec(any::<i16>(), 0..300),
    )
        .prop_map(|(sample_rate, channels, is_ulaw, mut samples)| {
            samples.truncate(samples.len() / channels as usize * channels as usize);
            let samples = if is_ulaw {
                WavSamples::Ulaw(samples.iter().map(|&s| s as u8).collect())
            } else {
                WavSamples::Pcm16(samples)
            };
            Wav {
                sample_rate,
                channels,
                samples,
            }
        })
}

proptest! {
    #[test]
    fn whatever_is_written_reads_back_identically(wav in any_wav()) {
        prop_assert_eq!(Wav::parse(&wav.to_bytes().unwrap()).unwrap(), wav);
    }

    #[test]
    fn random_bytes_are_rejected_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = Wav::parse(&bytes);
        let mut with_header = b"RIFF".to_vec();
        with_header.extend_from_slice(&(bytes.len() as u32 + 4).to_le_bytes());
        with_header.extend_from_slice(b"WAVE");
        with_header.extend_from_slice(&bytes);
        let _ = Wav::parse(&with_header);
    }

    #[test]
    fn truncated_files_are_errors(wav in any_wav(), cut in any::<proptest::sample::Index>()) {
        let bytes = wav.to_bytes().unwrap();
        let cut = cut.index(bytes.len());
        prop_assert!(Wav::parse(&bytes[..cut]).is_err());
    }

    #[test]
    fn corrupted_files_never_panic(
        wav in any_wav(),
        flips in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut bytes = wav.to_bytes().unwrap();
        for (at, value) in flips {
            let at = at.index(bytes.len());
            bytes[at] = value;
        }
        if let Ok(read) = Wav::parse(&bytes) {
            // Whatever a corrupted header claims, the samples come from the file itself.
            prop_assert!(read.frames() * usize::from(read.channels) <= bytes.len());
        }
    }
}
