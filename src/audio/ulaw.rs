//! G.711 μ-law, the codec Twilio Media Streams carry: 8-bit codes for 16-bit samples.
//!
//! Both directions are table lookups built at compile time from the classic G.711 reference
//! algorithm (the public-domain Sun Microsystems `g711.c`, as shipped in CPython's `audioop`),
//! so there is no branching or arithmetic per sample beyond a shift and a mask. The tests compare
//! every one of the 65,536 samples and 256 codes with tables written by CPython's `audioop`
//! (`fixtures/g711/`), so the codec agrees bit for bit with the reference.
//!
//! G.711 itself works on 14-bit samples: encoding drops the two low bits of a 16-bit sample,
//! which is why the encode table has 2^14 entries.

/// The code for a zero sample: what a silent μ-law stream is full of.
pub const SILENCE: u8 = 0xFF;

/// Added to the magnitude before segmenting, so that every segment's steps line up on powers
/// of two (0x84 on 16-bit samples, 0x84 >> 2 = 33 on 14-bit ones).
const BIAS: i32 = 0x84;

/// The largest 14-bit magnitude that still encodes without overflowing the top segment.
const CLIP_14: i32 = 8159;

static DECODE: [i16; 256] = build_decode_table();
static DECODE_LE: [[u8; 2]; 256] = build_decode_le_table();
static ENCODE: [u8; 1 << 14] = build_encode_table();

/// The 16-bit sample a μ-law code stands for.
#[inline]
pub fn decode(code: u8) -> i16 {
    DECODE[code as usize]
}

/// The μ-law code nearest to a 16-bit sample (magnitudes above 32,124 saturate).
#[inline]
pub fn encode(sample: i16) -> u8 {
    ENCODE[encode_index(sample)]
}

#[inline]
fn encode_index(sample: i16) -> usize {
    // The arithmetic shift keeps the sign, and the mask turns the 14-bit two's complement
    // value into a table index; the table is laid out to match.
    ((sample >> 2) as u16 & 0x3FFF) as usize
}

/// Appends the samples for `codes` to `out`; allocates only if `out` lacks the capacity.
pub fn decode_into(codes: &[u8], out: &mut Vec<i16>) {
    out.extend(codes.iter().map(|&code| decode(code)));
}

/// Appends the codes for `samples` to `out`; allocates only if `out` lacks the capacity.
pub fn encode_into(samples: &[i16], out: &mut Vec<u8>) {
    out.extend(samples.iter().map(|&sample| encode(sample)));
}

/// Appends the samples for `codes` to `out` as 16-bit little-endian PCM bytes, the layout of
/// ElevenLabs `pcm_*` audio.
pub fn decode_to_s16le(codes: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + codes.len() * 2, 0);
    for (pair, &code) in out[start..].chunks_exact_mut(2).zip(codes) {
        pair.copy_from_slice(&DECODE_LE[code as usize]);
    }
}

/// Appends the codes for 16-bit little-endian PCM bytes to `out`. Returns the trailing odd
/// byte, if any, unread: a sample split across two network messages is the caller's to join.
pub fn encode_s16le<'a>(pcm: &'a [u8], out: &mut Vec<u8>) -> &'a [u8] {
    let pairs = pcm.chunks_exact(2);
    let rest = pairs.remainder();
    out.extend(pairs.map(|pair| encode(i16::from_le_bytes([pair[0], pair[1]]))));
    rest
}

const fn decode_code(code: u8) -> i16 {
    // Codes are stored with every bit inverted (so that silence is not a run of zero bytes).
    let code = !code;
    let exponent = ((code >> 4) & 0x07) as i32;
    let mantissa = (code & 0x0F) as i32;
    let magnitude = ((mantissa << 3) + BIAS) << exponent;
    if code & 0x80 != 0 {
        (BIAS - magnitude) as i16
    } else {
        (magnitude - BIAS) as i16
    }
}

const fn encode_14bit(sample: i32) -> u8 {
    // The inversion mask also carries the sign: positive codes have the top bit set.
    let (magnitude, invert) = if sample < 0 {
        (-sample, 0x7F)
    } else {
        (sample, 0xFF)
    };
    let magnitude = if magnitude > CLIP_14 { CLIP_14 } else { magnitude } + (BIAS >> 2);
    // Segment = how many bits the biased magnitude has beyond six; each segment doubles the
    // step size, which is the logarithmic part of the companding.
    let significant_bits = 32 - magnitude.leading_zeros() as i32;
    let segment = if significant_bits > 6 {
        significant_bits - 6
    } else {
        0
    };
    if segment >= 8 {
        return 0x7F ^ invert;
    }
    let mantissa = (magnitude >> (segment + 1)) & 0x0F;
    ((segment << 4) as u8 | mantissa as u8) ^ invert
}

const fn build_decode_table() -> [i16; 256] {
    let mut table = [0i16; 256];
    let mut code = 0;
    while code < 256 {
        table[code] = decode_code(code as u8);
        code += 1;
    }
    table
}

const fn build_decode_le_table() -> [[u8; 2]; 256] {
    let mut table = [[0u8; 2]; 256];
    let mut code = 0;
    while code < 256 {
        table[code] = decode_code(code as u8).to_le_bytes();
        code += 1;
    }
    table
}

const fn build_encode_table() -> [u8; 1 << 14] {
    let mut table = [0u8; 1 << 14];
    let mut index = 0;
    while index < (1 << 14) {
        // Index bits are a 14-bit two's complement sample, as `encode_index` produces them.
        let sample = if index >= (1 << 13) {
            index as i32 - (1 << 14)
        } else {
            index as i32
        };
        table[index] = encode_14bit(sample);
        index += 1;
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Written by CPython's `audioop.lin2ulaw` (see fixtures/g711/README.md): byte i is the
    /// code for the sample whose bit pattern is i.
    const REFERENCE_LIN2ULAW: &[u8; 65536] = include_bytes!("../../fixtures/g711/lin2ulaw.bin");
    /// Written by CPython's `audioop.ulaw2lin`: little-endian sample i decodes code i.
    const REFERENCE_ULAW2LIN: &[u8; 512] = include_bytes!("../../fixtures/g711/ulaw2lin.s16le");

    /// Largest magnitude μ-law can represent; louder samples saturate to it.
    const MAX_DECODED: i16 = 32124;

    #[test]
    fn encode_matches_the_reference_for_every_sample() {
        for bits in 0..=u16::MAX {
            let sample = bits as i16;
            assert_eq!(
                encode(sample),
                REFERENCE_LIN2ULAW[bits as usize],
                "sample {sample}"
            );
        }
    }

    #[test]
    fn decode_matches_the_reference_for_every_code() {
        for code in 0..=u8::MAX {
            let i = code as usize * 2;
            let expected = i16::from_le_bytes([REFERENCE_ULAW2LIN[i], REFERENCE_ULAW2LIN[i + 1]]);
            assert_eq!(decode(code), expected, "code {code:#04x}");
        }
    }

    #[test]
    fn encoding_a_decoded_code_gives_it_back_except_negative_zero() {
        for code in 0..=u8::MAX {
            let again = encode(decode(code));
            if code == 0x7F {
                // 0x7F is "minus zero": it decodes to 0, which encodes as plus zero.
                assert_eq!((decode(code), again), (0, SILENCE));
            } else {
                assert_eq!(again, code, "code {code:#04x}");
            }
        }
    }

    #[test]
    fn silence_is_zero_and_decoding_is_monotonic() {
        assert_eq!(decode(SILENCE), 0);
        assert_eq!(encode(0), SILENCE);
        // Codes 0x00..=0x7F are negative from loudest to quietest, 0x80..=0xFF positive from
        // loudest to quietest.
        for code in 0..0x7Fu8 {
            assert!(decode(code) < decode(code + 1), "code {code:#04x}");
        }
        for code in 0x80..0xFFu8 {
            assert!(decode(code) > decode(code + 1), "code {code:#04x}");
        }
        assert_eq!((decode(0x00), decode(0x80)), (-MAX_DECODED, MAX_DECODED));
    }

    /// Half the step of the segment a code lies in, plus the two low bits G.711 drops.
    fn error_bound(code: u8) -> i32 {
        let segment = ((!code >> 4) & 0x07) as i32;
        (1 << (segment + 2)) + 3
    }

    fn check_round_trip_error(sample: i16) -> Result<(), String> {
        let code = encode(sample);
        let decoded = decode(code);
        if sample.unsigned_abs() > MAX_DECODED as u16 {
            if decoded != MAX_DECODED * sample.signum() {
                return Err(format!("{sample} should saturate, decoded {decoded}"));
            }
        } else if (decoded as i32 - sample as i32).abs() > error_bound(code) {
            return Err(format!(
                "{sample} → {code:#04x} → {decoded}: beyond ±{}",
                error_bound(code)
            ));
        }
        Ok(())
    }

    #[test]
    fn round_trip_error_stays_within_half_a_step_for_every_sample() {
        for sample in i16::MIN..=i16::MAX {
            check_round_trip_error(sample).unwrap();
        }
    }

    #[test]
    fn slice_helpers_append_and_reuse_capacity() {
        let codes: Vec<u8> = (0..=u8::MAX).collect();
        let mut samples = Vec::with_capacity(512);
        samples.push(7);
        let buffer = samples.as_ptr();
        decode_into(&codes, &mut samples);
        assert_eq!(samples[0], 7);
        assert!(samples[1..].iter().zip(&codes).all(|(&s, &c)| s == decode(c)));
        assert_eq!(samples.as_ptr(), buffer, "reallocated despite capacity");

        let mut bytes = Vec::with_capacity(1024);
        decode_to_s16le(&codes, &mut bytes);
        let from_bytes: Vec<i16> = bytes
            .chunks_exact(2)
            .map(|p| i16::from_le_bytes([p[0], p[1]]))
            .collect();
        assert_eq!(from_bytes, samples[1..]);

        let mut again = Vec::with_capacity(600);
        let buffer = again.as_ptr();
        encode_into(&samples[1..], &mut again);
        let rest = encode_s16le(&bytes, &mut again);
        assert!(rest.is_empty());
        assert_eq!(again.as_ptr(), buffer, "reallocated despite capacity");
        let mut expected: Vec<u8> = codes.iter().map(|&c| encode(decode(c))).collect();
        expected.extend_from_within(..);
        assert_eq!(again, expected);
    }

    #[test]
    fn encode_s16le_leaves_an_odd_byte_unread() {
        let mut out = Vec::new();
        let rest = encode_s16le(&[0x00, 0x10, 0x34], &mut out);
        assert_eq!(rest, [0x34]);
        assert_eq!(out, [encode(0x1000)]);
    }

    proptest! {
        #[test]
        fn round_trip_error_is_bounded(sample in any::<i16>()) {
            prop_assert!(check_round_trip_error(sample).is_ok(), "{:?}", check_round_trip_error(sample));
        }

        #[test]
        fn encoding_preserves_order(a in any::<i16>(), b in any::<i16>()) {
            let (low, high) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(decode(encode(low)) <= decode(encode(high)));
        }

        #[test]
        fn byte_and_sample_helpers_agree(samples in proptest::collection::vec(any::<i16>(), 0..400)) {
            let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
            let (mut from_samples, mut from_bytes) = (Vec::new(), Vec::new());
            encode_into(&samples, &mut from_samples);
            encode_s16le(&bytes, &mut from_bytes);
            prop_assert_eq!(from_samples, from_bytes);
        }
    }
}
