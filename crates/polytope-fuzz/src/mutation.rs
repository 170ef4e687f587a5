//! Building blocks of the generators: a seeded random source, interesting values, and
//! mutations of raw bytes and of JSON documents that every target's generator combines with
//! its own knowledge of the format.

use polytope_core::rng::HostRng;
use serde_json::Value;

/// The random source of one generated input: a pure function of the run's seed and the
/// input's index, so a run is reproducible.
pub struct Rng(HostRng);

impl Rng {
    pub fn new(seed: u32, index: u32) -> Self {
        Self(HostRng::new(seed, index))
    }

    pub fn u32(&mut self) -> u32 {
        self.0.next_u32()
    }

    pub fn u64(&mut self) -> u64 {
        (u64::from(self.u32()) << 32) | u64::from(self.u32())
    }

    /// Uniform in `0..n`; 0 when `n` is 0.
    pub fn below(&mut self, n: usize) -> usize {
        match u32::try_from(n) {
            Ok(0) => 0,
            Ok(n) => self.0.next_below(n) as usize,
            Err(_) => (self.u64() % n as u64) as usize,
        }
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u32, den: u32) -> bool {
        self.0.next_below(den) < num
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        self.0.next_unit()
    }

    pub fn normal(&mut self) -> f64 {
        self.0.next_normal()
    }

    /// A size that is usually small: 1-4 with probability 1/2, up to `max` rarely.
    pub fn small(&mut self, max: usize) -> usize {
        match self.below(8) {
            0..=3 => self.range(1, 4.min(max.max(1))),
            4..=6 => self.range(1, 32.min(max.max(1))),
            _ => self.range(1, max.max(1)),
        }
    }
}

/// Integers that break size arithmetic: powers of two and their neighbours, 32-bit
/// wrap-arounds, the limits of the formats.
pub const INTERESTING_U32: [u32; 34] = [
    0,
    1,
    2,
    3,
    7,
    8,
    15,
    16,
    31,
    32,
    64,
    127,
    128,
    255,
    256,
    512,
    1023,
    1024,
    4095,
    4096,
    4097,
    65_504,
    65_535,
    65_536,
    65_537,
    1 << 20,
    (1 << 20) + 1,
    0x3FFF_FFFF,
    0x4000_0000,
    0x7FFF_FFFF,
    0x8000_0000,
    0xFFFF_FFF0,
    0xFFFF_FFFE,
    0xFFFF_FFFF,
];

/// 64-bit integers: the 32-bit ones plus values that wrap when truncated to 32 bits.
pub const INTERESTING_U64: [u64; 10] = [
    1 << 32,
    (1 << 32) + 1,
    (1 << 32) + 16,
    (1 << 31) - 1,
    1 << 33,
    1 << 62,
    1 << 63,
    u64::MAX / 2,
    u64::MAX - 1,
    u64::MAX,
];

/// Floats that break numeric checks.
pub const INTERESTING_F32: [f32; 24] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    f32::NAN,
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::MAX,
    f32::MIN,
    f32::MIN_POSITIVE,
    1e-45,
    1e-40,
    3e38,
    -3e38,
    1.9e19,
    -1.9e19,
    65_504.0,
    65_520.0,
    6e-8,
    1e-5,
    2.0,
    1.000_000_1,
    0.999_999_94,
];

/// f16 bit patterns: infinities, NaN, the largest finite values, subnormals, signed zero.
pub const INTERESTING_F16: [u16; 12] = [
    0x0000, 0x8000, 0x0001, 0x03FF, 0x3C00, 0xBC00, 0x7BFF, 0xFBFF, 0x7C00, 0xFC00, 0x7E00, 0x7C01,
];

/// Numbers as text: what a hand-edited URL, flag or JSON file may hold.
pub const NUMBER_TEXT: [&str; 52] = [
    "0",
    "-0",
    "1",
    "-1",
    "2",
    "3",
    "64",
    "65",
    "100",
    "4096",
    "4097",
    "8192",
    "16384",
    "16385",
    "65535",
    "65536",
    "65537",
    "1000000",
    "10000000",
    "10000001",
    "600000000",
    "2147483647",
    "2147483648",
    "4000000000",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999999",
    "0.5",
    "0.1",
    "0.01",
    "1e-5",
    "1e-7",
    "1e-8",
    "1e-38",
    "1e-40",
    "1e-45",
    "1e-46",
    "1e-50",
    "1e-300",
    "1e38",
    "3.4028235e38",
    "3.5e38",
    "1e39",
    "1e308",
    "1e309",
    "NaN",
    "inf",
    "-inf",
    "infinity",
    "1.0000001",
];

/// Odd spellings that number parsers disagree on.
pub const ODD_TEXT: [&str; 14] = [
    "", " ", "+1", " 1", "1 ", "1.", ".5", "0x10", "1_000", "1e", "--1", "١", "１", "\u{0}",
];

pub fn number_text(rng: &mut Rng) -> String {
    match rng.below(8) {
        0..=4 => (*rng.pick(&NUMBER_TEXT)).to_owned(),
        5 => (*rng.pick(&ODD_TEXT)).to_owned(),
        6 => rng.u32().to_string(),
        _ => format!("{}", rng.unit() as f32),
    }
}

/// Normalises an error message into a class for corpus feedback: digit runs become `#`,
/// quoted text `""`, and the result is cut at 64 characters.
pub fn class_of(message: &str) -> String {
    let mut out = String::with_capacity(64);
    let mut in_quote = false;
    let mut prev_digit = false;
    for c in message.chars() {
        if out.len() >= 64 {
            break;
        }
        if c == '"' {
            if !in_quote {
                out.push_str("\"\"");
            }
            in_quote = !in_quote;
            continue;
        }
        if in_quote {
            continue;
        }
        if c.is_ascii_digit() {
            if !prev_digit {
                out.push('#');
            }
            prev_digit = true;
            continue;
        }
        prev_digit = false;
        out.push(c);
    }
    out
}

/// `Ok` if a re-encoding equals the input, else where they first differ.
pub fn same_bytes(again: &[u8], input: &[u8]) -> Result<(), String> {
    match again.iter().zip(input).position(|(a, b)| a != b) {
        None if again.len() == input.len() => Ok(()),
        None => Err(format!(
            "re-encodes to {} bytes instead of {}",
            again.len(),
            input.len()
        )),
        Some(at) => Err(format!(
            "re-encodes differently from byte {at}: {:02x?} instead of {:02x?}",
            &again[at..(at + 8).min(again.len())],
            &input[at..(at + 8).min(input.len())]
        )),
    }
}

// ---- raw bytes -------------------------------------------------------------------------

pub fn put_u16(bytes: &mut [u8], at: usize, v: u16) {
    if let Some(s) = bytes.get_mut(at..at + 2) {
        s.copy_from_slice(&v.to_le_bytes());
    }
}

pub fn put_u32(bytes: &mut [u8], at: usize, v: u32) {
    if let Some(s) = bytes.get_mut(at..at + 4) {
        s.copy_from_slice(&v.to_le_bytes());
    }
}

pub fn put_u64(bytes: &mut [u8], at: usize, v: u64) {
    if let Some(s) = bytes.get_mut(at..at + 8) {
        s.copy_from_slice(&v.to_le_bytes());
    }
}

pub fn get_u32(bytes: &[u8], at: usize) -> Option<u32> {
    bytes
        .get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// A 32-bit value related to `old`: interesting, or `old` nudged, doubled or wrapped.
pub fn nudge_u32(rng: &mut Rng, old: u32) -> u32 {
    match rng.below(6) {
        0 | 1 => *rng.pick(&INTERESTING_U32),
        2 => old.wrapping_add(1),
        3 => old.wrapping_sub(1),
        4 => old.wrapping_mul(2),
        _ => old.wrapping_add(rng.u32() >> rng.range(16, 31)),
    }
}

/// One generic mutation of raw bytes (bit flips, interesting integers and floats at random
/// offsets, inserted, deleted, duplicated or spliced ranges, truncation).
pub fn mutate_bytes(rng: &mut Rng, bytes: &mut Vec<u8>, pool: &[Vec<u8>]) {
    let len = bytes.len();
    let at = rng.below(len.max(1));
    // Word-aligned offsets hit header fields more often.
    let aligned = if rng.chance(1, 2) { at & !3 } else { at };
    match rng.below(14) {
        0 if len > 0 => bytes[at] ^= 1 << rng.below(8),
        1 if len > 0 => bytes[at] = *rng.pick(&[0u8, 1, 0x7F, 0x80, 0xFF, b'0', b'"', b'{']),
        2 => {
            let v = nudge_u32(rng, get_u32(bytes, aligned).unwrap_or(0));
            put_u32(bytes, aligned, v);
        }
        3 => put_u64(bytes, aligned, *rng.pick(&INTERESTING_U64)),
        4 => {
            let v = *rng.pick(&INTERESTING_F32);
            if let Some(s) = bytes.get_mut(aligned..aligned + 4) {
                s.copy_from_slice(&v.to_le_bytes());
            }
        }
        5 => put_u16(bytes, at & !1, *rng.pick(&INTERESTING_F16)),
        6 => {
            let n = rng.small(64);
            let fill: Vec<u8> = (0..n).map(|_| rng.u32() as u8).collect();
            bytes.splice(at..at, fill);
        }
        7 if len > 0 => {
            let n = rng.small(len - at);
            bytes.drain(at..at + n);
        }
        8 if len > 0 => {
            let n = rng.small(len - at);
            let copy = bytes[at..at + n].to_vec();
            let to = rng.below(len + 1);
            bytes.splice(to..to, copy);
        }
        9 => bytes.truncate(rng.below(len + 1)),
        10 if !pool.is_empty() => {
            // Splice: our head, another input's tail.
            let other = rng.pick(pool);
            let from = rng.below(other.len() + 1);
            bytes.truncate(at);
            bytes.extend_from_slice(&other[from..]);
        }
        11 if len > 0 => {
            // Repeat a block many times (long lists, big counts of small records).
            let n = rng.small(16.min(len - at));
            let block = bytes[at..at + n].to_vec();
            let times = rng.small(512);
            for _ in 0..times {
                bytes.splice(at..at, block.iter().copied());
            }
        }
        12 if len > 0 => {
            let v = (rng.u32() % 10) as u8 + b'0';
            bytes[at] = v;
        }
        _ => {
            let v = rng.u32();
            put_u32(bytes, aligned, v);
        }
    }
}

// ---- JSON ------------------------------------------------------------------------------

/// Strings that break ids, paths, format names and checksums.
pub const INTERESTING_STR: [&str; 30] = [
    "",
    ".",
    "..",
    "../index.json",
    "/etc/passwd",
    "a\\b",
    "a//b",
    "dict/a-512/list.bin",
    "dict/../x",
    ".hidden",
    "A",
    "B",
    "a-512",
    "a-2048",
    "b-2048",
    "C",
    "l1-2023",
    "l1-2024",
    "topk",
    "jumprelu",
    "relu",
    "mlp.post_relu",
    "polytope-data",
    "polytope-dictionary",
    "polytope-bpe",
    "polytope-lm",
    "0123456789abcdef",
    "0123456789ABCDEF",
    "é\u{0}\u{FFFD}",
    "\u{1F600}",
];

fn interesting_number(rng: &mut Rng, old: Option<&serde_json::Number>) -> Value {
    let old_f = old.and_then(serde_json::Number::as_f64).unwrap_or(0.0);
    let old_u = old.and_then(serde_json::Number::as_u64).unwrap_or(0);
    match rng.below(9) {
        0 => Value::from(*rng.pick(&INTERESTING_U32)),
        1 => Value::from(*rng.pick(&INTERESTING_U64)),
        2 => Value::from(*rng.pick(&[-1i64, -2, i64::MIN, i64::from(i32::MIN)])),
        3 => {
            let f = *rng.pick(&INTERESTING_F32);
            serde_json::Number::from_f64(f64::from(f)).map_or(Value::Null, Value::Number)
        }
        4 => serde_json::Number::from_f64(*rng.pick(&[1e-50, 1e300, -1e300, 0.5, 1.5, 3.5e38]))
            .map_or(Value::Null, Value::Number),
        5 => Value::from(old_u.wrapping_add(1)),
        6 => Value::from(old_u.saturating_sub(1)),
        7 => Value::from(old_u.wrapping_mul(1 << rng.range(1, 32))),
        _ => serde_json::Number::from_f64(-old_f).map_or(Value::Null, Value::Number),
    }
}

fn count_nodes(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count_nodes).sum(),
        Value::Object(o) => o.values().map(count_nodes).sum(),
        _ => 0,
    }
}

/// The `k`-th node of `v` in pre-order.
fn nth_mut<'a>(v: &'a mut Value, k: &mut usize) -> Option<&'a mut Value> {
    if *k == 0 {
        return Some(v);
    }
    *k -= 1;
    match v {
        Value::Array(a) => a.iter_mut().find_map(|x| nth_mut(x, k)),
        Value::Object(o) => o.values_mut().find_map(|x| nth_mut(x, k)),
        _ => None,
    }
}

fn nth(v: &Value, k: &mut usize) -> Option<Value> {
    if *k == 0 {
        return Some(v.clone());
    }
    *k -= 1;
    match v {
        Value::Array(a) => a.iter().find_map(|x| nth(x, k)),
        Value::Object(o) => o.values().find_map(|x| nth(x, k)),
        _ => None,
    }
}

fn random_node(rng: &mut Rng, v: &Value) -> Value {
    let mut k = rng.below(count_nodes(v));
    nth(v, &mut k).unwrap_or(Value::Null)
}

fn keys_of(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| keys_of(x, out)),
        Value::Object(o) => {
            for (k, x) in o {
                out.push(k.clone());
                keys_of(x, out);
            }
        }
        _ => {}
    }
}

/// One structure-aware change to a JSON tree: a node replaced by an interesting value or by
/// a node of this or another document, an array element removed, duplicated or repeated, an
/// object member removed, renamed or added.
pub fn mutate_value(rng: &mut Rng, doc: &mut Value, donors: &[Value]) {
    let donor = if donors.is_empty() || rng.chance(1, 2) {
        doc.clone()
    } else {
        rng.pick(donors).clone()
    };
    let mut keys = Vec::new();
    keys_of(&donor, &mut keys);
    let mut k = rng.below(count_nodes(doc));
    let Some(node) = nth_mut(doc, &mut k) else {
        return;
    };
    match rng.below(10) {
        0 => *node = random_node(rng, &donor),
        1 => {
            *node = match rng.below(6) {
                0 => Value::Null,
                1 => Value::Bool(true),
                2 => Value::Array(Vec::new()),
                3 => Value::Object(serde_json::Map::new()),
                4 => Value::from(*rng.pick(&INTERESTING_STR)),
                _ => interesting_number(rng, None),
            };
        }
        _ => match node {
            Value::Number(n) => {
                let n = n.clone();
                *node = interesting_number(rng, Some(&n));
            }
            Value::String(s) => match rng.below(4) {
                0 => (*rng.pick(&INTERESTING_STR)).clone_into(s),
                1 => {
                    let mut at = rng.below(s.len() + 1);
                    while !s.is_char_boundary(at) {
                        at -= 1;
                    }
                    s.truncate(at);
                }
                2 => s.push_str(&s.clone()),
                _ => {
                    if let Value::String(other) = random_node(rng, &donor) {
                        *s = other;
                    }
                }
            },
            Value::Array(a) if !a.is_empty() => {
                let i = rng.below(a.len());
                match rng.below(5) {
                    0 => {
                        a.remove(i);
                    }
                    1 => {
                        let x = a[i].clone();
                        a.insert(i, x);
                    }
                    2 => {
                        let j = rng.below(a.len());
                        a.swap(i, j);
                    }
                    3 => a.truncate(i),
                    _ => {
                        let x = a[i].clone();
                        let times = rng.small(300);
                        a.extend(std::iter::repeat_n(x, times));
                    }
                }
            }
            Value::Array(a) => a.push(random_node(rng, &donor)),
            Value::Object(o) => {
                let names: Vec<String> = o.keys().cloned().collect();
                match rng.below(3) {
                    0 if !names.is_empty() => {
                        o.remove(rng.pick(&names));
                    }
                    1 if !names.is_empty() && !keys.is_empty() => {
                        if let Some(v) = o.remove(rng.pick(&names)) {
                            o.insert(rng.pick(&keys).clone(), v);
                        }
                    }
                    _ => {
                        let key = if keys.is_empty() || rng.chance(1, 4) {
                            "unknown_field".to_owned()
                        } else {
                            rng.pick(&keys).clone()
                        };
                        o.insert(key, random_node(rng, &donor));
                    }
                }
            }
            _ => *node = interesting_number(rng, None),
        },
    }
}

/// Replaces one number in JSON text by a spelling serde_json treats specially (overflowing,
/// negative zero, exponent forms).
pub fn mutate_json_number_text(rng: &mut Rng, text: &mut Vec<u8>) {
    let starts: Vec<usize> = (0..text.len())
        .filter(|&i| {
            (text[i].is_ascii_digit() || text[i] == b'-')
                && (i == 0 || !text[i - 1].is_ascii_alphanumeric() && text[i - 1] != b'.')
        })
        .collect();
    if starts.is_empty() {
        return;
    }
    let start = *rng.pick(&starts);
    let mut end = start + 1;
    while end < text.len() && matches!(text[end], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') {
        end += 1;
    }
    let with = match rng.below(4) {
        0 => (*rng.pick(&[
            "1e999",
            "-1e999",
            "-0",
            "-0.0",
            "1.0",
            "1e2",
            "18446744073709551616",
            "-9223372036854775809",
            "4294967296",
            "65536",
            "99999999999999999999",
            "0.0000000000000000000000000000000000000000000001",
        ]))
        .to_owned(),
        1 => "9".repeat(rng.range(1, 400)),
        _ => number_text(rng),
    };
    text.splice(start..end, with.into_bytes());
}

/// One mutation of a JSON document: structure-aware when it parses, else on its text.
pub fn mutate_json(rng: &mut Rng, text: &mut Vec<u8>, pool: &[Vec<u8>]) {
    match rng.below(8) {
        0 => mutate_json_number_text(rng, text),
        1 => mutate_bytes(rng, text, pool),
        _ => {
            let Ok(mut doc) = serde_json::from_slice::<Value>(text) else {
                mutate_bytes(rng, text, pool);
                return;
            };
            let donors: Vec<Value> = if pool.is_empty() {
                Vec::new()
            } else {
                serde_json::from_slice(rng.pick(pool).as_slice())
                    .into_iter()
                    .collect()
            };
            for _ in 0..rng.small(4) {
                mutate_value(rng, &mut doc, &donors);
            }
            let out = if rng.chance(1, 2) {
                serde_json::to_vec(&doc)
            } else {
                serde_json::to_vec_pretty(&doc)
            };
            if let Ok(out) = out {
                *text = out;
            }
        }
    }
}
