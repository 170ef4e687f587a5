//! `chunk-NNNN.bin`: the details of `chunk_features` consecutive features, with an offset table
//! so that one feature decodes without the others.

use super::bytes::{Reader, Writer};
use super::index::Context;
use super::{DictError, invalid};

pub const CHUNK_MAGIC: &[u8; 8] = b"PDCHUNK1";
pub const CHUNK_VERSION: u32 = 1;
/// Most histogram bins.
pub const MAX_BINS: usize = 1024;
/// Most tokens on each side of an example's activating token.
pub const MAX_WINDOW_SIDE: u32 = 127;
/// Bytes before the offset table: magic, version, first, count.
const HEAD: usize = 20;
/// Most entries of any per-feature list (counts are u8).
const MAX_ITEMS: usize = 255;

/// The file name of chunk `i`: `chunk-0003.bin`.
pub fn chunk_file_name(i: usize) -> String {
    format!("chunk-{i:04}.bin")
}

/// One activating example: a window of the evaluation tokens around the activating token.
#[derive(Clone, Debug, PartialEq)]
pub struct Example {
    /// Index in the evaluation tokens of the activating token.
    pub pos: u32,
    /// The feature's activation there (stored as f16).
    pub value: f32,
    /// Per-token activation over the window, quantised: `round(255 * act / max_act)` with the
    /// feature's `max_act` from the list. The window is `pos - min(before, pos) ..= pos +
    /// after`, clipped to the end of the evaluation tokens, so its length is
    /// `min(before, pos) + 1 + min(after, eval_tokens - 1 - pos)`.
    pub acts: Vec<u8>,
}

impl Example {
    /// Index in the evaluation tokens of `acts[0]`.
    pub fn window_start(&self, before: u32) -> u32 {
        self.pos - before.min(self.pos)
    }
}

/// Examples from one interval of activation values.
#[derive(Clone, Debug, PartialEq)]
pub struct QuantileGroup {
    /// The interval `[lo, hi]` (f16); examples lie inside it.
    pub lo: f32,
    pub hi: f32,
    /// Evaluation tokens whose activation falls in the interval.
    pub count: u32,
    pub examples: Vec<Example>,
}

/// Equal-width bins over `[lo, hi]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    pub lo: f32,
    pub hi: f32,
    pub counts: Vec<u32>,
}

/// How much of a feature's decoder direction one MLP neuron carries.
#[derive(Clone, Debug, PartialEq)]
pub struct NeuronWeight {
    pub neuron: u16,
    /// The decoder coefficient.
    pub weight: f32,
    /// `|weight|` over the L1 norm of the decoder row, in `[0, 1]`.
    pub share: f32,
}

/// A feature-splitting edge to a feature of a related dictionary.
#[derive(Clone, Debug, PartialEq)]
pub struct SplitEdge {
    /// Index into the manifest's `related`.
    pub dict: u8,
    pub feature: u32,
    /// Masked cosine similarity of the two features' activations, in `[-1, 1]`.
    pub similarity: f32,
}

/// Everything the feature page shows of one feature.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureDetail {
    pub id: u32,
    /// Top activations, descending by value.
    pub top: Vec<Example>,
    /// Intervals of activation values with a few examples each.
    pub quantiles: Vec<QuantileGroup>,
    /// Of the nonzero activations.
    pub histogram: Histogram,
    /// Most promoted tokens `(token, logit weight)`, descending.
    pub logits_top: Vec<(u16, f32)>,
    /// Most suppressed tokens, ascending.
    pub logits_bottom: Vec<(u16, f32)>,
    /// Of the logit weights of the whole vocabulary.
    pub logit_histogram: Histogram,
    /// Largest decoder coefficients, descending by `|weight|`.
    pub neurons: Vec<NeuronWeight>,
    /// Other features of this dictionary `(feature, cosine similarity of activations)`,
    /// descending.
    pub correlated: Vec<(u32, f32)>,
    pub splits: Vec<SplitEdge>,
    /// The best-matching feature of the manifest's `match_dict` and the correlation of their
    /// activations over the evaluation tokens.
    pub best_match: Option<(u32, f32)>,
}

/// What decoding a chunk needs to check it. Build it with
/// [`DictManifest::chunk_context`](super::DictManifest::chunk_context).
#[derive(Clone, Debug, PartialEq)]
pub struct ChunkContext {
    /// The chunk's first feature and number of features.
    pub first: u32,
    pub count: u32,
    /// The SAE's input width (neuron ids are below it) and feature count.
    pub d_in: u32,
    pub d_sae: u32,
    /// Number of evaluation tokens (positions are below it); `None` checks windows loosely.
    pub eval_tokens: Option<u64>,
    /// Vocabulary size (token ids are below it); `None` skips the check.
    pub vocab: Option<u32>,
    /// The snippet window; `None` only checks that a window holds its activating token.
    pub window: Option<Context>,
    /// Number of related dictionaries (split edges' `dict` is below it).
    pub related: usize,
    /// Whether the manifest names a `match_dict` (else `best_match` must be absent).
    pub has_match: bool,
}

impl ChunkContext {
    /// The loosest context for a chunk of `count` features from `first`: only what the bytes
    /// themselves determine is checked.
    pub fn permissive(first: u32, count: u32) -> Self {
        Self {
            first,
            count,
            d_in: u32::from(u16::MAX),
            d_sae: u32::MAX,
            eval_tokens: None,
            vocab: None,
            window: None,
            related: MAX_ITEMS,
            has_match: true,
        }
    }
}

fn count_u8(n: usize, what: &str) -> Result<u8, DictError> {
    u8::try_from(n).map_err(|_| invalid(format!("{what}: {n} entries (limit {MAX_ITEMS})")))
}

fn write_example(w: &mut Writer, e: &Example, what: &str) -> Result<(), DictError> {
    w.u32(e.pos);
    w.f16(e.value);
    w.u8(count_u8(e.acts.len(), &format!("{what}: acts"))?);
    w.bytes(&e.acts);
    Ok(())
}

fn write_histogram(w: &mut Writer, h: &Histogram, what: &str) -> Result<(), DictError> {
    if h.counts.len() > MAX_BINS {
        return Err(invalid(format!(
            "{what} has {} bins (limit {MAX_BINS})",
            h.counts.len()
        )));
    }
    w.f32(h.lo);
    w.f32(h.hi);
    w.u16(h.counts.len() as u16);
    for &c in &h.counts {
        w.varint(c);
    }
    Ok(())
}

fn write_feature(w: &mut Writer, f: &FeatureDetail) -> Result<(), DictError> {
    w.u32(f.id);
    w.u8(count_u8(f.top.len(), "top examples")?);
    for (i, e) in f.top.iter().enumerate() {
        write_example(w, e, &format!("top example {i}"))?;
    }
    w.u8(count_u8(f.quantiles.len(), "quantile groups")?);
    for (g, q) in f.quantiles.iter().enumerate() {
        w.f16(q.lo);
        w.f16(q.hi);
        w.u32(q.count);
        w.u8(count_u8(q.examples.len(), &format!("quantile group {g}"))?);
        for (i, e) in q.examples.iter().enumerate() {
            write_example(w, e, &format!("quantile group {g} example {i}"))?;
        }
    }
    write_histogram(w, &f.histogram, "activation histogram")?;
    for (list, what) in [
        (&f.logits_top, "top logits"),
        (&f.logits_bottom, "bottom logits"),
    ] {
        w.u8(count_u8(list.len(), what)?);
        for &(t, v) in list {
            w.u16(t);
            w.f16(v);
        }
    }
    write_histogram(w, &f.logit_histogram, "logit histogram")?;
    w.u8(count_u8(f.neurons.len(), "neurons")?);
    for n in &f.neurons {
        w.u16(n.neuron);
        w.f16(n.weight);
        w.f16(n.share);
    }
    w.u8(count_u8(f.correlated.len(), "correlated features")?);
    for &(id, v) in &f.correlated {
        w.u32(id);
        w.f16(v);
    }
    w.u8(count_u8(f.splits.len(), "split edges")?);
    for s in &f.splits {
        w.u8(s.dict);
        w.u32(s.feature);
        w.f16(s.similarity);
    }
    match f.best_match {
        None => w.u8(0),
        Some((id, v)) => {
            w.u8(1);
            w.u32(id);
            w.f16(v);
        }
    }
    Ok(())
}

/// Encodes `details` (features `first`, `first + 1`, ...) as a chunk. Values are rounded as
/// stored; fails, naming the feature and field, on anything the decoder rejects with a
/// [permissive](ChunkContext::permissive) context. Decode the result with the real context
/// ([`decode_chunk`]) to check positions, token and neuron ids against the data.
pub fn encode_chunk(first: u32, details: &[FeatureDetail]) -> Result<Vec<u8>, DictError> {
    let count = u32::try_from(details.len())
        .ok()
        .filter(|&c| c > 0 && first.checked_add(c).is_some())
        .ok_or_else(|| {
            invalid(format!(
                "a chunk of {} features from {first}",
                details.len()
            ))
        })?;
    let table = HEAD + 4 * (details.len() + 1);
    let mut body = Writer::default();
    let mut offsets = Vec::with_capacity(details.len() + 1);
    for f in details {
        offsets.push(table + body.out.len());
        write_feature(&mut body, f).map_err(|e| e.context(format!("feature {}", f.id)))?;
    }
    offsets.push(table + body.out.len());
    let mut w = Writer::default();
    w.bytes(CHUNK_MAGIC);
    w.u32(CHUNK_VERSION);
    w.u32(first);
    w.u32(count);
    for o in offsets {
        let o = u32::try_from(o).map_err(|_| invalid("the chunk is larger than 4 GiB"))?;
        w.u32(o);
    }
    w.bytes(&body.out);
    decode_chunk(&w.out, &ChunkContext::permissive(first, count))?;
    Ok(w.out)
}

/// Checks the header and offset table; returns the `count + 1` offsets.
fn read_table(bytes: &[u8], ctx: &ChunkContext) -> Result<Vec<usize>, DictError> {
    let mut r = Reader::new(bytes);
    if r.take(8, "header")? != CHUNK_MAGIC {
        return Err(DictError::BadMagic {
            kind: "feature chunk",
            magic: "PDCHUNK1",
        });
    }
    let version = r.u32("header: version")?;
    if version != CHUNK_VERSION {
        return Err(DictError::UnsupportedVersion {
            kind: "feature chunk",
            found: version,
            supported: CHUNK_VERSION,
        });
    }
    let first = r.u32("header: first")?;
    let count = r.u32("header: count")?;
    if first != ctx.first || count != ctx.count {
        return Err(invalid(format!(
            "the chunk holds features {first}..{} ({count}), expected {}..{} ({})",
            u64::from(first) + u64::from(count),
            ctx.first,
            u64::from(ctx.first) + u64::from(ctx.count),
            ctx.count
        )));
    }
    if count == 0 || first.checked_add(count).is_none() {
        return Err(invalid(format!(
            "the chunk holds {count} features from {first}"
        )));
    }
    let entries = count as usize + 1;
    if entries.saturating_mul(4) > r.remaining() {
        return Err(invalid(format!(
            "the offset table of {entries} entries runs past the end of the {}-byte file",
            bytes.len()
        )));
    }
    let start = HEAD + 4 * entries;
    let mut offsets = Vec::with_capacity(entries);
    for i in 0..entries {
        let o = r.u32("offset table")? as usize;
        let prev = offsets.last().copied().unwrap_or(start);
        if (i == 0 && o != start) || o < prev || o > bytes.len() {
            return Err(invalid(format!(
                "offset {i} is {o}: offsets start at {start}, never decrease and stay within the \
                 {}-byte file",
                bytes.len()
            )));
        }
        offsets.push(o);
    }
    if offsets[count as usize] != bytes.len() {
        return Err(invalid(format!(
            "the last offset is {} but the file is {} bytes",
            offsets[count as usize],
            bytes.len()
        )));
    }
    Ok(offsets)
}

/// Decodes and checks every feature of a chunk.
pub fn decode_chunk(bytes: &[u8], ctx: &ChunkContext) -> Result<Vec<FeatureDetail>, DictError> {
    let offsets = read_table(bytes, ctx)?;
    let mut out = Vec::with_capacity(ctx.count as usize);
    for i in 0..ctx.count as usize {
        let id = ctx.first + i as u32;
        let f = read_feature(&bytes[offsets[i]..offsets[i + 1]], ctx, id)
            .map_err(|e| e.context(format!("feature {id}")))?;
        out.push(f);
    }
    Ok(out)
}

/// Decodes and checks one feature of a chunk (the header and offset table are checked too).
pub fn decode_chunk_feature(
    bytes: &[u8],
    ctx: &ChunkContext,
    id: u32,
) -> Result<FeatureDetail, DictError> {
    if id < ctx.first || id - ctx.first >= ctx.count {
        return Err(invalid(format!(
            "feature {id} is not in this chunk ({}..{})",
            ctx.first,
            u64::from(ctx.first) + u64::from(ctx.count)
        )));
    }
    let offsets = read_table(bytes, ctx)?;
    let i = (id - ctx.first) as usize;
    read_feature(&bytes[offsets[i]..offsets[i + 1]], ctx, id)
        .map_err(|e| e.context(format!("feature {id}")))
}

fn in_unit(v: f32, what: &str) -> Result<(), DictError> {
    if (-1.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(invalid(format!("{what} {v} is outside [-1, 1]")))
    }
}

fn read_example(r: &mut Reader<'_>, ctx: &ChunkContext, what: &str) -> Result<Example, DictError> {
    let pos = r.u32(&format!("{what}: position"))?;
    let value = r.f16(&format!("{what}: value"))?;
    let len = r.u8(&format!("{what}: window length"))?;
    let acts = r.take(len as usize, &format!("{what}: window"))?.to_vec();
    if value <= 0.0 {
        return Err(invalid(format!(
            "{what}: value {value} is not positive (examples are where the feature fires)"
        )));
    }
    if let Some(n) = ctx.eval_tokens
        && u64::from(pos) >= n
    {
        return Err(invalid(format!(
            "{what}: position {pos} is past the {n} evaluation tokens"
        )));
    }
    let len = u64::from(len);
    let Some(window) = ctx.window else {
        if len == 0 {
            return Err(invalid(format!("{what}: the window is empty")));
        }
        return Ok(Example { pos, value, acts });
    };
    let before = u64::from(window.before.min(pos));
    let after = u64::from(window.after);
    match ctx.eval_tokens {
        Some(n) => {
            let expected = before + 1 + after.min(n - 1 - u64::from(pos));
            if len != expected {
                return Err(invalid(format!(
                    "{what}: the window at position {pos} has {len} tokens; a window of \
                     {}+1+{after} clipped to {n} tokens has {expected}",
                    window.before
                )));
            }
        }
        None => {
            if len <= before || len > before + 1 + after {
                return Err(invalid(format!(
                    "{what}: the window at position {pos} has {len} tokens; a window of \
                     {}+1+{after} has {} to {}",
                    window.before,
                    before + 1,
                    before + 1 + after
                )));
            }
        }
    }
    Ok(Example { pos, value, acts })
}

fn read_histogram(r: &mut Reader<'_>, what: &str) -> Result<Histogram, DictError> {
    let lo = r.f32(&format!("{what}: lo"))?;
    let hi = r.f32(&format!("{what}: hi"))?;
    let bins = r.u16(&format!("{what}: bins"))? as usize;
    if bins > MAX_BINS {
        return Err(invalid(format!(
            "{what} has {bins} bins (limit {MAX_BINS})"
        )));
    }
    if lo > hi {
        return Err(invalid(format!("{what}: lo {lo} is above hi {hi}")));
    }
    let mut counts = Vec::with_capacity(bins);
    for b in 0..bins {
        counts.push(r.varint(&format!("{what}: bin {b}"))?);
    }
    Ok(Histogram { lo, hi, counts })
}

fn read_feature(bytes: &[u8], ctx: &ChunkContext, id: u32) -> Result<FeatureDetail, DictError> {
    let mut r = Reader::new(bytes);
    let stored = r.u32("id")?;
    if stored != id {
        return Err(invalid(format!("the record says it is feature {stored}")));
    }
    let n = r.u8("top examples: count")?;
    let mut top = Vec::with_capacity(n as usize);
    for i in 0..n {
        let e = read_example(&mut r, ctx, &format!("top example {i}"))?;
        if let Some(prev) = top.last().map(|p: &Example| p.value)
            && e.value > prev
        {
            return Err(invalid(format!(
                "top example {i}: value {} is above the previous {prev}; top examples descend",
                e.value
            )));
        }
        top.push(e);
    }
    let groups = r.u8("quantile groups: count")?;
    let mut quantiles = Vec::with_capacity(groups as usize);
    for g in 0..groups {
        let what = format!("quantile group {g}");
        let lo = r.f16(&format!("{what}: lo"))?;
        let hi = r.f16(&format!("{what}: hi"))?;
        let count = r.u32(&format!("{what}: count"))?;
        let n = r.u8(&format!("{what}: examples"))?;
        if !(0.0 <= lo && lo <= hi) {
            return Err(invalid(format!(
                "{what}: the interval [{lo}, {hi}] is not 0 <= lo <= hi"
            )));
        }
        if u32::from(n) > count {
            return Err(invalid(format!(
                "{what}: {n} examples but only {count} tokens in the interval"
            )));
        }
        let mut examples = Vec::with_capacity(n as usize);
        for i in 0..n {
            let e = read_example(&mut r, ctx, &format!("{what} example {i}"))?;
            if e.value < lo || e.value > hi {
                return Err(invalid(format!(
                    "{what} example {i}: value {} is outside [{lo}, {hi}]",
                    e.value
                )));
            }
            examples.push(e);
        }
        quantiles.push(QuantileGroup {
            lo,
            hi,
            count,
            examples,
        });
    }
    let histogram = read_histogram(&mut r, "activation histogram")?;
    let mut logits = [Vec::new(), Vec::new()];
    for (side, what) in ["top logits", "bottom logits"].iter().enumerate() {
        let n = r.u8(&format!("{what}: count"))?;
        for i in 0..n {
            let t = r.u16(&format!("{what} {i}: token"))?;
            let v = r.f16(&format!("{what} {i}: weight"))?;
            if let Some(vocab) = ctx.vocab
                && u32::from(t) >= vocab
            {
                return Err(invalid(format!(
                    "{what} {i}: token {t} is outside the vocabulary of {vocab}"
                )));
            }
            if let Some(&(_, prev)) = logits[side].last() {
                let ordered = if side == 0 { v <= prev } else { v >= prev };
                if !ordered {
                    return Err(invalid(format!(
                        "{what} {i}: weight {v} after {prev}; top logits descend, bottom \
                         logits ascend"
                    )));
                }
            }
            logits[side].push((t, v));
        }
    }
    let [logits_top, logits_bottom] = logits;
    let logit_histogram = read_histogram(&mut r, "logit histogram")?;
    let n = r.u8("neurons: count")?;
    let mut neurons: Vec<NeuronWeight> = Vec::with_capacity(n as usize);
    for i in 0..n {
        let neuron = r.u16(&format!("neuron {i}: id"))?;
        let weight = r.f16(&format!("neuron {i}: weight"))?;
        let share = r.f16(&format!("neuron {i}: share"))?;
        if u32::from(neuron) >= ctx.d_in {
            return Err(invalid(format!(
                "neuron {i}: id {neuron} is not below d_in {}",
                ctx.d_in
            )));
        }
        if !(0.0..=1.0).contains(&share) {
            return Err(invalid(format!(
                "neuron {i}: share {share} is outside [0, 1]"
            )));
        }
        if let Some(prev) = neurons.last()
            && weight.abs() > prev.weight.abs()
        {
            return Err(invalid(format!(
                "neuron {i}: |weight| {} is above the previous {}; neurons descend by |weight|",
                weight.abs(),
                prev.weight.abs()
            )));
        }
        neurons.push(NeuronWeight {
            neuron,
            weight,
            share,
        });
    }
    let n = r.u8("correlated features: count")?;
    let mut correlated: Vec<(u32, f32)> = Vec::with_capacity(n as usize);
    for i in 0..n {
        let f = r.u32(&format!("correlated feature {i}: id"))?;
        let v = r.f16(&format!("correlated feature {i}: similarity"))?;
        if f >= ctx.d_sae || f == id {
            return Err(invalid(format!(
                "correlated feature {i}: id {f} is the feature itself or not below d_sae {}",
                ctx.d_sae
            )));
        }
        in_unit(v, &format!("correlated feature {i}: similarity"))?;
        if let Some(&(_, prev)) = correlated.last()
            && v > prev
        {
            return Err(invalid(format!(
                "correlated feature {i}: similarity {v} is above the previous {prev}; they \
                 descend"
            )));
        }
        correlated.push((f, v));
    }
    let n = r.u8("split edges: count")?;
    let mut splits = Vec::with_capacity(n as usize);
    for i in 0..n {
        let dict = r.u8(&format!("split edge {i}: dictionary"))?;
        let feature = r.u32(&format!("split edge {i}: feature"))?;
        let similarity = r.f16(&format!("split edge {i}: similarity"))?;
        if usize::from(dict) >= ctx.related {
            return Err(invalid(format!(
                "split edge {i}: dictionary index {dict}, but the manifest lists {} related \
                 dictionaries",
                ctx.related
            )));
        }
        in_unit(similarity, &format!("split edge {i}: similarity"))?;
        splits.push(SplitEdge {
            dict,
            feature,
            similarity,
        });
    }
    let best_match = match r.u8("best match: flag")? {
        0 => None,
        1 => {
            let f = r.u32("best match: feature")?;
            let v = r.f16("best match: correlation")?;
            in_unit(v, "best match: correlation")?;
            if !ctx.has_match {
                return Err(invalid(
                    "a best match is given but the manifest names no match_dict",
                ));
            }
            Some((f, v))
        }
        other => {
            return Err(invalid(format!(
                "best match: flag {other} is neither 0 nor 1"
            )));
        }
    };
    if r.remaining() != 0 {
        return Err(invalid(format!(
            "{} bytes left over after the record",
            r.remaining()
        )));
    }
    Ok(FeatureDetail {
        id,
        top,
        quantiles,
        histogram,
        logits_top,
        logits_bottom,
        logit_histogram,
        neurons,
        correlated,
        splits,
        best_match,
    })
}
