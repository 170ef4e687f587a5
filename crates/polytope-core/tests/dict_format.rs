//! The dictionary format (`docs/dictionary-format.md`): round trips, every documented check,
//! and no panic on damaged bytes.

use polytope_core::dict::{
    ChunkContext, Context, DataIndex, DictEntry, DictError, DictKind, DictManifest, DictMetrics,
    Example, FLAG_DEAD, FLAG_ULTRALOW, FeatureDetail, FeatureSummary, FileRef, Histogram,
    ModelEntry, NO_TOKEN, NeuronWeight, QuantileGroup, SaeWeights, SplitEdge, TrainingInfo,
    checksum, chunk_file_name, decode_chunk, decode_chunk_feature, decode_list, encode_chunk,
    encode_list, list_len, weights_len,
};
use polytope_core::sae::{SaeConfig, SaeParams, Variant};

/// xorshift64*, enough for test data.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// A multiple of 1/64 in [0, 1): exact in f16.
    fn unit(&mut self) -> f32 {
        self.below(64) as f32 / 64.0
    }
}

const EVAL: u64 = 10_000;
const VOCAB: u32 = 4096;
const WINDOW: Context = Context {
    before: 5,
    after: 5,
};

fn example(rng: &mut Rng, value: f32) -> Example {
    let pos = rng.below(EVAL) as u32;
    let before = WINDOW.before.min(pos);
    let after = WINDOW.after.min((EVAL - 1) as u32 - pos);
    let acts = (0..before + 1 + after)
        .map(|i| if i == before { 255 } else { rng.below(4) as u8 })
        .collect();
    Example { pos, value, acts }
}

fn histogram(rng: &mut Rng, bins: usize, lo: f32, hi: f32) -> Histogram {
    Histogram {
        lo,
        hi,
        counts: (0..bins).map(|_| rng.below(5000) as u32).collect(),
    }
}

/// A typical feature: 20 top examples, 10 quantile groups of 5, 50-bin histograms, 10+10
/// logits, 8 neurons, 8 correlated features, 3 split edges, a best match. Values are exact in
/// f16 so the round trip compares exactly.
fn detail(rng: &mut Rng, id: u32) -> FeatureDetail {
    let top = (0..20)
        .map(|i| example(rng, 8.0 - i as f32 * 0.25))
        .collect();
    let quantiles = (0..10)
        .map(|g| {
            let lo = 0.5 * g as f32;
            let hi = lo + 0.5;
            QuantileGroup {
                lo,
                hi,
                count: 100 + g,
                examples: (0..5)
                    .map(|i| example(rng, lo + 0.125 + 0.0625 * i as f32))
                    .collect(),
            }
        })
        .collect();
    FeatureDetail {
        id,
        top,
        quantiles,
        histogram: histogram(rng, 50, 0.0, 8.0),
        logits_top: (0..10)
            .map(|i| (i as u16 * 7, 2.0 - 0.125 * i as f32))
            .collect(),
        logits_bottom: (0..10)
            .map(|i| (i as u16 * 11 + 1, -2.0 + 0.125 * i as f32))
            .collect(),
        logit_histogram: histogram(rng, 50, -2.0, 2.0),
        neurons: (0..8)
            .map(|i| NeuronWeight {
                neuron: i * 60,
                weight: if i % 2 == 0 { 1.0 } else { -1.0 } * (0.5 - 0.0625 * f32::from(i)),
                share: 0.25 - 0.015_625 * f32::from(i),
            })
            .collect(),
        correlated: (0..8)
            .map(|i| ((id + 1 + i) % 256, 0.75 - 0.0625 * i as f32))
            .collect(),
        splits: (0..3)
            .map(|i| SplitEdge {
                dict: i % 2,
                feature: u32::from(i) * 100,
                similarity: 0.5 + rng.unit() / 4.0,
            })
            .collect(),
        best_match: Some((id * 3, 0.875)),
    }
}

fn ctx(first: u32, count: u32) -> ChunkContext {
    ChunkContext {
        first,
        count,
        d_in: 512,
        d_sae: 256,
        eval_tokens: Some(EVAL),
        vocab: Some(VOCAB),
        window: Some(WINDOW),
        related: 2,
        has_match: true,
    }
}

fn summaries(rng: &mut Rng, n: usize) -> Vec<FeatureSummary> {
    (0..n)
        .map(|i| {
            let dead = i % 17 == 0;
            FeatureSummary {
                density: if dead { 0.0 } else { 1e-7 + rng.unit() * 0.1 },
                max_act: if dead { 0.0 } else { 4.0 + rng.unit() },
                mean_act: if dead { 0.0 } else { 1.5 },
                top_tokens: [rng.below(4096) as u16, 3, NO_TOKEN, NO_TOKEN],
                map: [rng.unit(), rng.unit()],
                flags: if dead {
                    FLAG_DEAD
                } else if i % 5 == 0 {
                    FLAG_ULTRALOW
                } else {
                    0
                },
            }
        })
        .collect()
}

fn message(e: &DictError) -> String {
    e.to_string()
}

#[test]
fn checksum_is_fnv1a_64() {
    assert_eq!(checksum(b""), "cbf29ce484222325");
    assert_eq!(checksum(b"a"), "af63dc4c8601ec8c");
    assert_eq!(checksum(b"foobar"), "85944171f73967e8");
}

#[test]
fn list_round_trips_and_checks_each_rule() {
    let mut rng = Rng(7);
    let list = summaries(&mut rng, 100);
    let bytes = encode_list(&list).unwrap();
    assert_eq!(bytes.len() as u64, list_len(100));
    assert_eq!(decode_list(&bytes, 100, Some(VOCAB)).unwrap(), list);

    let err = decode_list(&bytes, 99, None).unwrap_err();
    assert!(message(&err).contains("d_sae = 99"), "{err}");
    assert!(matches!(
        decode_list(&bytes[..bytes.len() - 1], 100, None),
        Err(DictError::WrongLength { .. })
    ));
    let mut bad = bytes.clone();
    bad[0] = b'X';
    assert!(matches!(
        decode_list(&bad, 100, None),
        Err(DictError::BadMagic { .. })
    ));
    let mut bad = bytes.clone();
    bad[8] = 2;
    let err = decode_list(&bad, 100, None).unwrap_err();
    assert!(matches!(
        err,
        DictError::UnsupportedVersion { found: 2, .. }
    ));
    assert!(message(&err).contains("version 2"), "{err}");

    let tweak = |f: &dyn Fn(&mut FeatureSummary), needle: &str| {
        let mut l = list.clone();
        f(&mut l[3]);
        let err = encode_list(&l).unwrap_err();
        let m = message(&err);
        assert!(m.starts_with("feature 3: ") && m.contains(needle), "{m}");
    };
    tweak(&|f| f.density = 1.5, "density");
    tweak(&|f| f.density = f32::NAN, "not finite");
    tweak(&|f| f.max_act = -1.0, "negative");
    tweak(&|f| f.map = [0.5, 1.5], "map");
    tweak(&|f| f.flags = 8, "unknown bits");
    tweak(&|f| f.flags = FLAG_DEAD, "dead");
    tweak(&|f| f.mean_act = 70_000.0, "not finite");

    let mut l = list.clone();
    l[3].top_tokens[0] = 5000;
    let bytes = encode_list(&l).unwrap();
    let err = decode_list(&bytes, 100, Some(VOCAB)).unwrap_err();
    assert!(message(&err).contains("feature 3: top token 5000"), "{err}");
}

#[test]
fn chunk_round_trips_and_one_feature_decodes_alone() {
    let mut rng = Rng(11);
    let details: Vec<_> = (64..128).map(|id| detail(&mut rng, id)).collect();
    let bytes = encode_chunk(64, &details).unwrap();
    let c = ctx(64, 64);
    assert_eq!(decode_chunk(&bytes, &c).unwrap(), details);
    assert_eq!(decode_chunk_feature(&bytes, &c, 100).unwrap(), details[36]);
    assert!(decode_chunk_feature(&bytes, &c, 128).is_err());
    assert_eq!(chunk_file_name(3), "chunk-0003.bin");

    // A feature with nothing (dead): empty lists and histograms.
    let empty = FeatureDetail {
        id: 0,
        top: vec![],
        quantiles: vec![],
        histogram: Histogram {
            lo: 0.0,
            hi: 0.0,
            counts: vec![],
        },
        logits_top: vec![],
        logits_bottom: vec![],
        logit_histogram: Histogram {
            lo: -1.0,
            hi: 1.0,
            counts: vec![0; 50],
        },
        neurons: vec![],
        correlated: vec![],
        splits: vec![],
        best_match: None,
    };
    let bytes = encode_chunk(0, std::slice::from_ref(&empty)).unwrap();
    assert_eq!(decode_chunk(&bytes, &ctx(0, 1)).unwrap(), vec![empty]);
}

#[test]
fn typical_feature_size() {
    let mut rng = Rng(3);
    let details: Vec<_> = (0..64).map(|id| detail(&mut rng, id)).collect();
    let bytes = encode_chunk(0, &details).unwrap();
    let per_feature = bytes.len() / 64;
    println!("typical detail: {per_feature} bytes per feature");
    assert!((1500..2200).contains(&per_feature), "{per_feature}");
}

#[test]
fn chunk_errors_name_the_feature_and_field() {
    let mut rng = Rng(5);
    let base: Vec<_> = (0..4).map(|id| detail(&mut rng, id)).collect();
    let check = |f: &dyn Fn(&mut FeatureDetail), c: &ChunkContext, needle: &str| {
        let mut d = base.clone();
        f(&mut d[2]);
        let m = match encode_chunk(0, &d) {
            Err(e) => message(&e),
            Ok(bytes) => message(&decode_chunk(&bytes, c).unwrap_err()),
        };
        assert!(
            m.starts_with("feature 2: ") && m.contains(needle),
            "{needle}: {m}"
        );
    };
    let c = ctx(0, 4);
    check(
        &|f| f.logit_histogram.counts = vec![1; 4000],
        &c,
        "logit histogram has 4000 bins (limit 1024)",
    );
    check(&|f| f.top.swap(0, 1), &c, "top example 1: value");
    check(
        &|f| f.top[4].value = 0.0,
        &c,
        "top example 4: value 0 is not positive",
    );
    check(
        &|f| f.top[2].pos = 20_000,
        &c,
        "top example 2: position 20000 is past the 10000",
    );
    check(&|f| f.top[2].acts.push(0), &c, "top example 2: the window");
    check(
        &|f| f.top = vec![f.top[0].clone(); 300],
        &c,
        "top examples: 300 entries",
    );
    check(
        &|f| f.quantiles[3].lo = 9.0,
        &c,
        "quantile group 3: the interval",
    );
    check(
        &|f| f.quantiles[3].examples[1].value = 7.0,
        &c,
        "quantile group 3 example 1",
    );
    check(
        &|f| f.quantiles[3].count = 2,
        &c,
        "quantile group 3: 5 examples",
    );
    check(
        &|f| f.histogram.lo = 9.0,
        &c,
        "activation histogram: lo 9 is above hi 8",
    );
    check(
        &|f| f.histogram.hi = f32::INFINITY,
        &c,
        "activation histogram: hi is not finite",
    );
    check(&|f| f.logits_top.swap(0, 1), &c, "top logits 1");
    check(&|f| f.logits_bottom.swap(0, 1), &c, "bottom logits 1");
    check(
        &|f| f.logits_top[0].0 = 5000,
        &c,
        "top logits 0: token 5000 is outside",
    );
    check(
        &|f| f.neurons[0].neuron = 600,
        &c,
        "neuron 0: id 600 is not below d_in 512",
    );
    check(&|f| f.neurons[1].share = 1.5, &c, "neuron 1: share");
    check(&|f| f.neurons.swap(0, 3), &c, "neuron 1: |weight|");
    check(
        &|f| f.correlated[0].0 = 2,
        &c,
        "correlated feature 0: id 2 is the feature itself",
    );
    check(
        &|f| f.correlated[0].0 = 300,
        &c,
        "correlated feature 0: id 300",
    );
    check(
        &|f| f.correlated[5].1 = 1.5,
        &c,
        "correlated feature 5: similarity 1.5",
    );
    check(
        &|f| f.splits[0].dict = 2,
        &c,
        "split edge 0: dictionary index 2",
    );
    check(
        &|f| f.best_match = Some((1, -1.5)),
        &c,
        "best match: correlation",
    );
    check(&|f| f.id = 7, &c, "the record says it is feature 7");
    let no_match = ChunkContext {
        has_match: false,
        ..ctx(0, 4)
    };
    let bytes = encode_chunk(0, &base).unwrap();
    let err = decode_chunk(&bytes, &no_match).unwrap_err();
    assert!(
        message(&err).starts_with("feature 0: a best match is given"),
        "{err}"
    );

    let err = decode_chunk(&bytes, &ctx(64, 4)).unwrap_err();
    assert!(message(&err).contains("expected 64..68"), "{err}");
    let mut bad = bytes.clone();
    bad[8] = 9;
    assert!(message(&decode_chunk(&bad, &c).unwrap_err()).contains("version 9"));
    let mut bad = bytes.clone();
    bad[28..32].copy_from_slice(&1u32.to_le_bytes());
    assert!(message(&decode_chunk(&bad, &c).unwrap_err()).contains("offset 2"));
    // Without the evaluation-token count, windows are checked loosely.
    let loose = ChunkContext {
        eval_tokens: None,
        ..ctx(0, 4)
    };
    assert!(decode_chunk(&bytes, &loose).is_ok());
}

/// Truncations and random byte flips never panic (they may decode if the flip hits a value).
#[test]
fn damaged_files_never_panic() {
    let mut rng = Rng(99);
    let details: Vec<_> = (0..6).map(|id| detail(&mut rng, id)).collect();
    let chunk = encode_chunk(0, &details).unwrap();
    let list = encode_list(&summaries(&mut rng, 20)).unwrap();
    let weights = sample_weights(Variant::TopK).to_bytes().unwrap();
    let c = ctx(0, 6);
    for len in 0..chunk.len() {
        assert!(decode_chunk(&chunk[..len], &c).is_err());
        let _ = decode_chunk_feature(&chunk[..len], &c, 3);
    }
    for len in 0..list.len() {
        assert!(decode_list(&list[..len], 20, Some(VOCAB)).is_err());
    }
    for len in 0..weights.len() {
        assert!(SaeWeights::from_bytes(&weights[..len]).is_err());
    }
    for _ in 0..3000 {
        for (bytes, which) in [(&chunk, 0), (&list, 1), (&weights, 2)] {
            let mut bad = bytes.clone();
            for _ in 0..=rng.below(4) {
                let i = rng.below(bad.len() as u64) as usize;
                bad[i] = rng.next() as u8;
            }
            match which {
                0 => {
                    let _ = decode_chunk(&bad, &c);
                    let _ = decode_chunk_feature(&bad, &c, rng.below(6) as u32);
                }
                1 => {
                    let _ = decode_list(&bad, 20, Some(VOCAB));
                }
                _ => {
                    let _ = SaeWeights::from_bytes(&bad);
                }
            }
        }
    }
    // Arbitrary garbage, short and long.
    for n in 0..200 {
        let junk: Vec<u8> = (0..n * 7).map(|_| rng.next() as u8).collect();
        let _ = decode_chunk(&junk, &c);
        let _ = decode_list(&junk, 20, None);
        let _ = SaeWeights::from_bytes(&junk);
        let _ = DictManifest::from_json(&junk);
        let _ = DataIndex::from_json(&junk);
    }
}

fn sample_weights(variant: Variant) -> SaeWeights {
    let (n, s) = (6usize, 10usize);
    let v = |i: usize| (i % 37) as f32 / 16.0 - 1.0;
    SaeWeights {
        d_in: n as u32,
        d_sae: s as u32,
        variant,
        k: (variant == Variant::TopK).then_some(3),
        normalize_scale: 1.5,
        w_enc: (0..s * n).map(v).collect(),
        b_enc: (0..s).map(|i| v(i + 3)).collect(),
        w_dec: (0..s * n).map(|i| v(i + 5)).collect(),
        b_dec: (0..n).map(|i| v(i + 7)).collect(),
        threshold: if variant == Variant::JumpRelu {
            (0..s).map(|i| i as f32 / 32.0).collect()
        } else {
            vec![0.0; s]
        },
    }
}

#[test]
fn weights_round_trip_and_checks() {
    for variant in Variant::ALL {
        let w = sample_weights(variant);
        let bytes = w.to_bytes().unwrap();
        assert_eq!(bytes.len() as u64, weights_len(6, 10));
        assert_eq!(SaeWeights::from_bytes(&bytes).unwrap(), w);
    }
    let mut w = sample_weights(Variant::L1_2023);
    w.k = Some(3);
    assert!(message(&w.to_bytes().unwrap_err()).contains("has no k"));
    let mut w = sample_weights(Variant::TopK);
    w.k = None;
    assert!(message(&w.to_bytes().unwrap_err()).contains("k is 0"));
    let mut w = sample_weights(Variant::L1_2024);
    w.b_dec.pop();
    assert!(message(&w.to_bytes().unwrap_err()).contains("b_dec has 5 values, expected 6"));
    let mut w = sample_weights(Variant::L1_2024);
    w.w_dec[7] = 1e6;
    assert!(message(&w.to_bytes().unwrap_err()).contains("W_dec[7]"));
    let bytes = sample_weights(Variant::JumpRelu).to_bytes().unwrap();
    let mut bad = bytes.clone();
    bad[12] = 9;
    assert!(message(&SaeWeights::from_bytes(&bad).unwrap_err()).contains("variant code 9"));
    let mut bad = bytes.clone();
    bad.push(0);
    assert!(matches!(
        SaeWeights::from_bytes(&bad),
        Err(DictError::WrongLength { .. })
    ));
    let mut bad = bytes.clone();
    let at = 32 + 2 * 60 + 2;
    bad[at..at + 2].copy_from_slice(&half::f16::NAN.to_le_bytes());
    assert!(message(&SaeWeights::from_bytes(&bad).unwrap_err()).contains("b_enc[1]"));
}

#[test]
fn weights_from_trained_params_transpose_the_encoder() {
    let cfg = SaeConfig::recommended(Variant::JumpRelu, 4, 6, 10);
    let mut params = SaeParams::init(&cfg, &[0.5; 4]);
    params.data[params.layout.b_enc + 2] = 0.25;
    let w = SaeWeights::from_params(&cfg, &params, 2.0).unwrap();
    let l = params.layout;
    for i in 0..6 {
        for k in 0..4 {
            assert_eq!(w.encoder_row(i)[k], params.data[l.w_enc + k * 6 + i]);
            assert_eq!(w.decoder_row(i)[k], params.data[l.w_dec + i * 4 + k]);
        }
        assert!((w.threshold[i] - cfg.initial_threshold).abs() < 1e-6);
    }
    assert_eq!(w.b_enc[2], 0.25);
    assert_eq!(w.b_dec, vec![0.5; 4]);
    assert_eq!((w.k, w.normalize_scale), (None, 2.0));
}

fn file(path: &str, bytes: &[u8]) -> FileRef {
    FileRef::of(path, bytes)
}

fn manifest(list: &[u8], weights: &[u8], chunks: &[Vec<u8>]) -> DictManifest {
    DictManifest {
        format: "polytope-dictionary".into(),
        version: 1,
        id: "a-256".into(),
        model: "A".into(),
        kind: DictKind::Sae,
        d_in: 512,
        d_sae: 256,
        variant: "topk".into(),
        k: Some(32),
        hook: "mlp.post_relu".into(),
        training: TrainingInfo {
            steps: 1000,
            batch: 4096,
            lr: 1e-3,
            sparsity_coefficient: None,
            seed: 1,
            activations: 4_096_000,
            seconds: 12.5,
            normalize_scale: 1.0,
        },
        metrics: DictMetrics {
            explained_variance: 0.9,
            nmse: 0.1,
            l0: 32.0,
            dead: 3,
            ultralow: 5,
            ultralow_threshold: 1e-5,
            loss_orig: 3.0,
            loss_sae: 3.2,
            loss_zero: 4.0,
            loss_recovered: 0.8,
            eval_tokens: EVAL,
        },
        context: WINDOW,
        chunk_features: 64,
        related: vec!["a-128".into(), "a-512".into()],
        match_dict: Some("b-256".into()),
        list: file("list.bin", list),
        weights: Some(file("weights.bin", weights)),
        chunks: chunks
            .iter()
            .enumerate()
            .map(|(i, c)| file(&chunk_file_name(i), c))
            .collect(),
        scores: None,
    }
}

#[test]
fn manifest_and_index_json() {
    let fake_list = vec![1u8; list_len(256) as usize];
    let fake_weights = vec![2u8; weights_len(512, 256) as usize];
    let chunks = vec![vec![3u8; 10]; 4];
    let m = manifest(&fake_list, &fake_weights, &chunks);
    m.validate().unwrap();
    let json = m.to_json();
    assert_eq!(DictManifest::from_json(json.as_bytes()).unwrap(), m);
    assert_eq!(m.chunk_for(130).unwrap().0, 2);
    let c = m.chunk_context(3, Some(EVAL), Some(VOCAB));
    assert_eq!(
        (c.first, c.count, c.related, c.has_match),
        (192, 64, 2, true)
    );

    // Additive fields are ignored; a newer major version is named as such.
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["future_field"] = serde_json::json!({"x": 1});
    assert!(DictManifest::from_json(v.to_string().as_bytes()).is_ok());
    v["version"] = serde_json::json!(2);
    let err = DictManifest::from_json(v.to_string().as_bytes()).unwrap_err();
    assert!(
        message(&err).contains("polytope-dictionary version 2 is not supported"),
        "{err}"
    );

    // A dictionary of a model's neurons says so; a manifest without `kind` (every file written
    // before kinds existed) is a sparse autoencoder's, and one is written without the field.
    assert_eq!(m.kind, DictKind::Sae);
    assert!(!json.contains("\"kind\""), "{json}");
    let mut neurons = m.clone();
    neurons.kind = DictKind::Neurons;
    neurons.id = "neurons-a".into();
    assert!(
        neurons
            .validate()
            .unwrap_err()
            .to_string()
            .contains("one unit per neuron")
    );
    // One unit per neuron (the weights file, sized for 512 x 256, left out).
    neurons.d_in = neurons.d_sae;
    neurons.weights = None;
    neurons.validate().unwrap();
    let json_n = neurons.to_json();
    assert!(json_n.contains("\"kind\": \"neurons\""), "{json_n}");
    assert_eq!(
        DictManifest::from_json(json_n.as_bytes()).unwrap().kind,
        DictKind::Neurons
    );

    let bad = |f: &dyn Fn(&mut DictManifest), needle: &str| {
        let mut m = m.clone();
        f(&mut m);
        let e = message(&m.validate().unwrap_err());
        assert!(e.contains(needle), "{needle}: {e}");
    };
    bad(
        &|m| {
            m.chunks.pop();
        },
        "3 chunks listed, but 256 features in chunks of 64 need 4",
    );
    bad(&|m| m.id = "../x".into(), "not a safe id");
    bad(
        &|m| m.list.path = "/etc/passwd".into(),
        "not a safe relative path",
    );
    bad(&|m| m.chunks[1].path = "a/../b".into(), "chunks[1]: path");
    bad(&|m| m.list.bytes = 5, "list: 5 bytes");
    bad(&|m| m.k = None, "topk dictionary needs");
    bad(
        &|m| m.variant = "gated".into(),
        "variant \"gated\" is unknown",
    );
    bad(&|m| m.metrics.nmse = f32::NAN, "metrics.nmse is not finite");
    bad(&|m| m.context.after = 200, "at most 127");
    bad(&|m| m.related.push("a-128".into()), "appears twice");
    bad(&|m| m.chunks[0].checksum = "XYZ".into(), "checksum");
    bad(
        &|m| m.chunks[2].path = "list.bin".into(),
        "file path \"list.bin\" appears twice",
    );

    let r = file("x", b"hello");
    assert!(r.check(b"hello").is_ok());
    assert!(message(&r.check(b"hellO").unwrap_err()).contains("checksum"));
    assert!(message(&r.check(b"hell").unwrap_err()).contains("4 bytes"));

    let model = |id: &str| ModelEntry {
        id: id.into(),
        file: file(&format!("models/{id}.bin"), b"w"),
        val_loss: 3.1,
        seed: 1,
        d_model: 128,
        d_mlp: 512,
        n_ctx: 128,
        steps: None,
        train_tokens: Some(1),
        neuron_scores: None,
        control_scores: None,
    };
    let entry = |id: &str, model: &str| DictEntry {
        id: id.into(),
        model: model.into(),
        d_sae: 256,
        variant: "topk".into(),
        manifest: format!("dict/{id}/manifest.json"),
        kind: DictKind::Sae,
    };
    let index = DataIndex {
        format: "polytope-data".into(),
        version: 1,
        tokenizer: file("tokenizer.json", b"{}"),
        vocab: VOCAB,
        eval_tokens: file("eval.bin", &vec![0; 20_000]),
        text_sample: file("sample.txt", b"text"),
        models: vec![model("A"), model("B")],
        dictionaries: vec![
            entry("a-256", "A"),
            entry("a-128", "A"),
            entry("a-512", "A"),
            entry("b-256", "B"),
        ],
        highlights: Vec::new(),
    };
    let parsed = DataIndex::from_json(index.to_json().as_bytes()).unwrap();
    assert_eq!(parsed, index);
    assert_eq!(parsed.eval_token_count(), EVAL);
    parsed.check_manifest(&index.dictionaries[0], &m).unwrap();
    let mut m2 = m.clone();
    m2.match_dict = Some("a-128".into());
    assert!(
        message(
            &parsed
                .check_manifest(&index.dictionaries[0], &m2)
                .unwrap_err()
        )
        .contains("same model")
    );
    let mut i2 = index.clone();
    i2.dictionaries[1].model = "C".into();
    assert!(message(&i2.validate().unwrap_err()).contains("model \"C\" is not in models"));
    let mut i2 = index.clone();
    i2.format = "other".into();
    assert!(DataIndex::from_json(i2.to_json().as_bytes()).is_err());
}
