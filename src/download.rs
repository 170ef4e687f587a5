//! Saving files from the page: a Blob or data URL behind a temporary `<a download>`.

use wasm_bindgen::JsCast;

fn click_link(href: &str, filename: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(el) = doc.create_element("a") else {
        return;
    };
    let Ok(a) = el.dyn_into::<web_sys::HtmlAnchorElement>() else {
        return;
    };
    a.set_href(href);
    a.set_download(filename);
    a.click();
}

/// Offers `contents` as a file download.
pub fn text_file(filename: &str, mime: &str, contents: &str) {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(contents));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    click_link(&url, filename);
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// Offers a canvas as a PNG download.
pub fn canvas_png(canvas: &web_sys::HtmlCanvasElement, filename: &str) {
    if let Ok(url) = canvas.to_data_url_with_type("image/png") {
        click_link(&url, filename);
    }
}

/// Copies text to the clipboard (best effort: the Clipboard API needs a secure context).
pub fn copy_text(text: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(text);
    }
}
