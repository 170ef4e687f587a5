//! The feature browser's data: `public/data/` fetched lazily, checked against its references
//! (length and checksum), decoded by `polytope_core::dict` and kept in memory.
//!
//! Every file but the JSON ones is fetched as `data/PATH?v=CHECKSUM` under the site's root
//! ([`crate::url::href`]), so a changed file gets a new address: the service worker
//! (`public/sw.js`) serves those cache-first, and the page puts a file into the cache only after
//! it passed its checks (a corrupted download is never kept).
//! Errors are strings that start with the file's path under `data/`, for example
//! `dict/a-64/chunk-0000.bin: checksum …, but the reference says …`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use polytope_core::dict::{
    DataIndex, DictManifest, FeatureDetail, FeatureSummary, FileRef, SaeWeights, ScoresRef,
    UnitScores, decode_chunk, decode_list, decode_scores, scores_units_in,
};
use polytope_core::lm::interp::MEASURES;
use polytope_core::lm::model::LmModel;
use polytope_core::lm::tokenizer::Tokenizer;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The address of `path` in the data directory (`data/` under the site's root).
fn data_url(path: &str) -> String {
    crate::url::href(&format!("data/{path}"))
}

/// The Cache API cache shared with the service worker (`public/sw.js`): one per site root, so
/// two sites on one origin never read each other's files.
pub fn data_cache() -> String {
    format!("polytope-data-v2:{}", crate::url::base())
}

pub type Loaded<T> = Result<Arc<T>, String>;

/// Display texts of every token of the vocabulary.
pub struct TokenTexts {
    pub texts: Vec<String>,
}

impl TokenTexts {
    /// The text of `id`, made visible (newlines and tabs as symbols); `?` for unknown ids.
    pub fn get(&self, id: u16) -> &str {
        self.texts.get(id as usize).map_or("?", String::as_str)
    }
}

#[derive(Default)]
struct Cache {
    index: Option<Arc<DataIndex>>,
    manifests: HashMap<String, Arc<DictManifest>>,
    lists: HashMap<String, Arc<Vec<FeatureSummary>>>,
    chunks: HashMap<(String, usize), Arc<Vec<FeatureDetail>>>,
    tokenizer: Option<Arc<Tokenizer>>,
    texts: Option<Arc<TokenTexts>>,
    eval: Option<Arc<Vec<u16>>>,
    sample: Option<Arc<String>>,
    models: HashMap<String, Arc<LmModel>>,
    weights: HashMap<String, Arc<SaeWeights>>,
    /// Interpretability scores by [`ScoresOf::key`]; `None` when the data ships none.
    scores: HashMap<String, Option<Arc<UnitScores>>>,
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(Cache::default());
}

fn cached<T>(f: impl FnOnce(&Cache) -> Option<T>) -> Option<T> {
    CACHE.with(|c| f(&c.borrow()))
}

fn store(f: impl FnOnce(&mut Cache)) {
    CACHE.with(|c| f(&mut c.borrow_mut()));
}

thread_local! {
    /// Loads in flight, by key: a second caller waits for the first instead of fetching again.
    static IN_FLIGHT: RefCell<std::collections::HashSet<String>> = RefCell::default();
}

/// Claims `key` for loading. `false` means another task is loading it: wait with
/// [`wait_for`] and read the cache.
fn claim(key: &str) -> bool {
    IN_FLIGHT.with(|f| f.borrow_mut().insert(key.to_owned()))
}

fn release(key: &str) {
    IN_FLIGHT.with(|f| f.borrow_mut().remove(key));
}

/// Waits until the task that claimed `key` is done (it stored its result, or failed).
async fn wait_for(key: &str) {
    while IN_FLIGHT.with(|f| f.borrow().contains(key)) {
        crate::browser::yield_task().await;
    }
}

/// `hit()` if it has the value; otherwise `load()`, unless another task is loading `key`, in
/// which case this waits for it and reads `hit()` again (after a failed load the next caller
/// tries itself). Pages ask for the same file from several components at once; they share one
/// fetch and one decode.
async fn shared<T, F>(
    key: &str,
    hit: impl Fn() -> Option<T>,
    load: impl FnOnce() -> F,
) -> Result<T, String>
where
    F: std::future::Future<Output = Result<T, String>>,
{
    loop {
        if let Some(v) = hit() {
            return Ok(v);
        }
        if claim(key) {
            break;
        }
        wait_for(key).await;
    }
    let result = load().await;
    release(key);
    result
}

fn js_err(v: &JsValue) -> String {
    v.as_string()
        .or_else(|| {
            js_sys::Reflect::get(v, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| "unknown error".into())
}

fn call_method(target: &JsValue, name: &str, args: &[JsValue]) -> Result<JsValue, String> {
    let f = js_sys::Reflect::get(target, &name.into())
        .map_err(|e| js_err(&e))?
        .dyn_into::<js_sys::Function>()
        .map_err(|_| format!("{name} is not available in this browser"))?;
    let args: js_sys::Array = args.iter().collect();
    f.apply(target, &args).map_err(|e| js_err(&e))
}

async fn await_promise(v: JsValue) -> Result<JsValue, String> {
    let promise = v
        .dyn_into::<js_sys::Promise>()
        .map_err(|_| "not a promise".to_owned())?;
    JsFuture::from(promise).await.map_err(|e| js_err(&e))
}

/// Fetches `url`; `fresh` asks the HTTP cache to revalidate (for the JSON files, which carry no
/// checksum). Returns the body and a clone of the response (for the Cache API).
async fn fetch(url: &str, fresh: bool) -> Result<(Vec<u8>, JsValue), String> {
    let window = web_sys::window().ok_or("no window")?;
    let init = js_sys::Object::new();
    if fresh {
        let _ = js_sys::Reflect::set(&init, &"cache".into(), &"no-cache".into());
    }
    let response = await_promise(call_method(
        &window,
        "fetch",
        &[JsValue::from_str(url), init.into()],
    )?)
    .await
    .map_err(|e| format!("could not be fetched ({e}); offline?"))?;
    let ok = js_sys::Reflect::get(&response, &"ok".into())
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    if !ok {
        let status = js_sys::Reflect::get(&response, &"status".into())
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0);
        return Err(format!("the server answered HTTP {status}"));
    }
    let copy = call_method(&response, "clone", &[]).unwrap_or(JsValue::NULL);
    let buffer = await_promise(call_method(&response, "arrayBuffer", &[])?)
        .await
        .map_err(|e| format!("download failed: {e}"))?;
    Ok((js_sys::Uint8Array::new(&buffer).to_vec(), copy))
}

/// Puts a checked response into the data cache (best effort: no Cache API, no caching).
fn keep(url: String, response: JsValue) {
    if response.is_null() {
        return;
    }
    wasm_bindgen_futures::spawn_local(async move {
        let Some(window) = web_sys::window() else {
            return;
        };
        let Ok(caches) = js_sys::Reflect::get(&window, &"caches".into()) else {
            return;
        };
        if caches.is_undefined() || caches.is_null() {
            return;
        }
        let Ok(open) = call_method(&caches, "open", &[JsValue::from_str(&data_cache())]) else {
            return;
        };
        let Ok(cache) = await_promise(open).await else {
            return;
        };
        if let Ok(put) = call_method(&cache, "put", &[JsValue::from_str(&url), response]) {
            let _ = await_promise(put).await;
        }
    });
}

/// Fetches a JSON file of the data directory (no reference: revalidated every time).
async fn fetch_json(path: &str) -> Result<(Vec<u8>, JsValue, String), String> {
    let url = data_url(path);
    let (bytes, response) = fetch(&url, true)
        .await
        .map_err(|e| format!("{path}: {e}"))?;
    Ok((bytes, response, url))
}

/// Fetches and checks a referenced file; `path` is its path under `data/`.
async fn fetch_ref(path: &str, file: &FileRef) -> Result<Vec<u8>, String> {
    let url = format!("{}?v={}", data_url(path), file.checksum);
    let (bytes, response) = fetch(&url, false)
        .await
        .map_err(|e| format!("{path}: {e}"))?;
    let named = FileRef {
        path: path.to_owned(),
        ..file.clone()
    };
    named.check(&bytes).map_err(|e| e.to_string())?;
    keep(url, response);
    Ok(bytes)
}

/// The directory part of a path (`dict/a-64/` for `dict/a-64/manifest.json`).
fn dir_of(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..=i])
}

pub async fn index() -> Loaded<DataIndex> {
    shared("index", || cached(|c| c.index.clone()), load_index).await
}

async fn load_index() -> Loaded<DataIndex> {
    let (bytes, response, url) = fetch_json("index.json").await?;
    let index = DataIndex::from_json(&bytes).map_err(|e| format!("index.json: {e}"))?;
    let index = Arc::new(index);
    keep(url, response);
    store(|c| c.index = Some(Arc::clone(&index)));
    Ok(index)
}

/// The path under `data/` of a file of dictionary `dict`.
pub fn dict_path(index: &DataIndex, dict: &str, file: &FileRef) -> String {
    let manifest = index
        .dictionary(dict)
        .map_or_else(String::new, |d| d.manifest.clone());
    format!("{}{}", dir_of(&manifest), file.path)
}

pub async fn manifest(dict: &str) -> Loaded<DictManifest> {
    shared(
        &format!("manifest:{dict}"),
        || cached(|c| c.manifests.get(dict).cloned()),
        || load_manifest(dict),
    )
    .await
}

async fn load_manifest(dict: &str) -> Loaded<DictManifest> {
    let index = index().await?;
    let entry = index
        .dictionary(dict)
        .ok_or_else(|| format!("index.json lists no dictionary {dict:?}"))?
        .clone();
    let (bytes, response, url) = fetch_json(&entry.manifest).await?;
    let m = DictManifest::from_json(&bytes).map_err(|e| format!("{}: {e}", entry.manifest))?;
    index
        .check_manifest(&entry, &m)
        .map_err(|e| format!("{}: {e}", entry.manifest))?;
    let m = Arc::new(m);
    keep(url, response);
    store(|c| {
        c.manifests.insert(dict.to_owned(), Arc::clone(&m));
    });
    Ok(m)
}

pub async fn list(dict: &str) -> Loaded<Vec<FeatureSummary>> {
    shared(
        &format!("list:{dict}"),
        || cached(|c| c.lists.get(dict).cloned()),
        || load_list(dict),
    )
    .await
}

async fn load_list(dict: &str) -> Loaded<Vec<FeatureSummary>> {
    let index = index().await?;
    let m = manifest(dict).await?;
    let path = dict_path(&index, dict, &m.list);
    let bytes = fetch_ref(&path, &m.list).await?;
    let list =
        decode_list(&bytes, m.d_sae, Some(index.vocab)).map_err(|e| format!("{path}: {e}"))?;
    let list = Arc::new(list);
    store(|c| {
        c.lists.insert(dict.to_owned(), Arc::clone(&list));
    });
    Ok(list)
}

/// How many of `dict`'s chunks are decoded in memory.
pub fn chunks_in_memory(dict: &str) -> usize {
    cached(|c| Some(c.chunks.keys().filter(|(d, _)| d == dict).count())).unwrap_or(0)
}

/// Whether chunk `chunk` of `dict` is already in memory.
pub fn has_chunk(dict: &str, chunk: usize) -> bool {
    cached(|c| Some(c.chunks.contains_key(&(dict.to_owned(), chunk)))).unwrap_or(false)
}

pub async fn chunk(dict: &str, chunk: usize) -> Loaded<Vec<FeatureDetail>> {
    let key = (dict.to_owned(), chunk);
    shared(
        &format!("chunk:{dict}:{chunk}"),
        || cached(|c| c.chunks.get(&key).cloned()),
        || load_chunk(dict, chunk),
    )
    .await
}

async fn load_chunk(dict: &str, chunk: usize) -> Loaded<Vec<FeatureDetail>> {
    let key = (dict.to_owned(), chunk);
    let index = index().await?;
    let m = manifest(dict).await?;
    let file = m
        .chunks
        .get(chunk)
        .ok_or_else(|| format!("{dict}: no chunk {chunk}"))?;
    let path = dict_path(&index, dict, file);
    let bytes = fetch_ref(&path, file).await?;
    let ctx = m.chunk_context(chunk, Some(index.eval_token_count()), Some(index.vocab));
    let details = decode_chunk(&bytes, &ctx).map_err(|e| format!("{path}: {e}"))?;
    let details = Arc::new(details);
    store(|c| {
        c.chunks.insert(key, Arc::clone(&details));
    });
    Ok(details)
}

pub async fn feature(dict: &str, id: u32) -> Loaded<FeatureDetail> {
    let m = manifest(dict).await?;
    let Some((c, _)) = m.chunk_for(id) else {
        return Err(format!("{dict} has no feature {id} (it has {})", m.d_sae));
    };
    let details = chunk(dict, c).await?;
    let first = (c as u32).saturating_mul(m.chunk_features);
    details
        .get((id - first) as usize)
        .cloned()
        .map(Arc::new)
        .ok_or_else(|| format!("{dict}: feature {id} is missing from its chunk"))
}

pub async fn tokenizer() -> Loaded<Tokenizer> {
    shared(
        "tokenizer",
        || cached(|c| c.tokenizer.clone()),
        load_tokenizer,
    )
    .await
}

async fn load_tokenizer() -> Loaded<Tokenizer> {
    let index = index().await?;
    let path = index.tokenizer.path.clone();
    let bytes = fetch_ref(&path, &index.tokenizer).await?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{path}: not UTF-8"))?;
    let t = Tokenizer::from_json(&text).map_err(|e| format!("{path}: {e}"))?;
    let t = Arc::new(t);
    store(|c| c.tokenizer = Some(Arc::clone(&t)));
    Ok(t)
}

/// Makes a token's text visible: newlines and tabs as symbols.
pub fn visible(text: &str) -> String {
    text.replace('\n', "⏎").replace('\t', "⇥").replace('\r', "")
}

pub async fn token_texts() -> Loaded<TokenTexts> {
    shared(
        "token_texts",
        || cached(|c| c.texts.clone()),
        load_token_texts,
    )
    .await
}

async fn load_token_texts() -> Loaded<TokenTexts> {
    let tok = tokenizer().await?;
    let texts = (0..tok.vocab_size())
        .map(|i| visible(&tok.token_text(i as u16)))
        .collect();
    let t = Arc::new(TokenTexts { texts });
    store(|c| c.texts = Some(Arc::clone(&t)));
    Ok(t)
}

pub async fn eval_tokens() -> Loaded<Vec<u16>> {
    shared(
        "eval_tokens",
        || cached(|c| c.eval.clone()),
        load_eval_tokens,
    )
    .await
}

async fn load_eval_tokens() -> Loaded<Vec<u16>> {
    let index = index().await?;
    let path = index.eval_tokens.path.clone();
    let bytes = fetch_ref(&path, &index.eval_tokens).await?;
    let tokens: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .collect();
    let t = Arc::new(tokens);
    store(|c| c.eval = Some(Arc::clone(&t)));
    Ok(t)
}

pub async fn text_sample() -> Loaded<String> {
    shared(
        "text_sample",
        || cached(|c| c.sample.clone()),
        load_text_sample,
    )
    .await
}

async fn load_text_sample() -> Loaded<String> {
    let index = index().await?;
    let path = index.text_sample.path.clone();
    let bytes = fetch_ref(&path, &index.text_sample).await?;
    let t = Arc::new(String::from_utf8_lossy(&bytes).into_owned());
    store(|c| c.sample = Some(Arc::clone(&t)));
    Ok(t)
}

pub async fn model(id: &str) -> Loaded<LmModel> {
    shared(
        &format!("model:{id}"),
        || cached(|c| c.models.get(id).cloned()),
        || load_model(id),
    )
    .await
}

async fn load_model(id: &str) -> Loaded<LmModel> {
    let index = index().await?;
    let entry = index
        .model(id)
        .ok_or_else(|| format!("index.json lists no model {id:?}"))?;
    let path = entry.file.path.clone();
    let bytes = fetch_ref(&path, &entry.file).await?;
    let (model, _) =
        polytope_core::lm::file::from_bytes(&bytes).map_err(|e| format!("{path}: {e}"))?;
    let model = Arc::new(model);
    store(|c| {
        c.models.insert(id.to_owned(), Arc::clone(&model));
    });
    Ok(model)
}

pub async fn weights(dict: &str) -> Loaded<SaeWeights> {
    shared(
        &format!("weights:{dict}"),
        || cached(|c| c.weights.get(dict).cloned()),
        || load_weights(dict),
    )
    .await
}

async fn load_weights(dict: &str) -> Loaded<SaeWeights> {
    let index = index().await?;
    let m = manifest(dict).await?;
    let Some(file) = m.weights.clone() else {
        return Err(format!(
            "{dict} ships no weights.bin: custom text needs the SAE's weights"
        ));
    };
    let path = dict_path(&index, dict, &file);
    let bytes = fetch_ref(&path, &file).await?;
    let w = SaeWeights::from_bytes(&bytes).map_err(|e| format!("{path}: {e}"))?;
    if w.d_sae != m.d_sae || w.d_in != m.d_in {
        return Err(format!(
            "{path}: {} × {} weights, but the manifest says {} × {}",
            w.d_sae, w.d_in, m.d_sae, m.d_in
        ));
    }
    let w = Arc::new(w);
    store(|c| {
        c.weights.insert(dict.to_owned(), Arc::clone(&w));
    });
    Ok(w)
}

/// Whose interpretability scores (docs/interpretability.md) to load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScoresOf<'a> {
    /// A dictionary's units.
    Dict(&'a str),
    /// A model's MLP neurons.
    Neurons(&'a str),
    /// A model's control: random directions in its MLP's activation space.
    Control(&'a str),
}

impl ScoresOf<'_> {
    /// The cache key: `dict:a-4096`, `neurons:A`, `control:A`.
    pub fn key(&self) -> String {
        match self {
            Self::Dict(d) => format!("dict:{d}"),
            Self::Neurons(m) => format!("neurons:{m}"),
            Self::Control(m) => format!("control:{m}"),
        }
    }
}

/// The scores of `of`: `Ok(None)` when the data ships none (data built before scores existed).
pub async fn scores(of: ScoresOf<'_>) -> Result<Option<Arc<UnitScores>>, String> {
    let key = of.key();
    shared(
        &format!("scores:{key}"),
        || cached(|c| c.scores.get(&key).cloned()),
        || load_scores(of, key.clone()),
    )
    .await
}

async fn load_scores(of: ScoresOf<'_>, key: String) -> Result<Option<Arc<UnitScores>>, String> {
    let index = index().await?;
    // The file, where it lives under `data/`, and how many units it must hold (`None`: as many
    // as its length says, for the control, whose size is the pipeline's choice).
    let found: Option<(ScoresRef, String, Option<u32>)> = match of {
        ScoresOf::Dict(d) => {
            let m = manifest(d).await?;
            m.scores
                .clone()
                .map(|s| (s.clone(), dict_path(&index, d, &s.file), Some(m.d_sae)))
        }
        ScoresOf::Neurons(id) | ScoresOf::Control(id) => {
            let entry = index
                .model(id)
                .ok_or_else(|| format!("index.json lists no model {id:?}"))?;
            let s = if matches!(of, ScoresOf::Neurons(_)) {
                entry.neuron_scores.clone()
            } else {
                entry.control_scores.clone()
            };
            let units = matches!(of, ScoresOf::Neurons(_)).then_some(entry.d_mlp);
            s.map(|s| {
                let path = s.file.path.clone();
                (s, path, units)
            })
        }
    };
    let result = match found {
        None => None,
        Some((sref, path, units)) => {
            let bytes = fetch_ref(&path, &sref.file).await?;
            let measures = sref.measures.len() as u32;
            let units = units.unwrap_or_else(|| scores_units_in(bytes.len(), measures));
            let s = decode_scores(&bytes, units, measures).map_err(|e| format!("{path}: {e}"))?;
            // By name, in the order the pages index them (older data lacks universality).
            Some(Arc::new(s.reorder(&sref.measures, &MEASURES)))
        }
    };
    store(|c| {
        c.scores.insert(key, result.clone());
    });
    Ok(result)
}
