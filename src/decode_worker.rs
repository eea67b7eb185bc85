//! The decoder's side of the decode pool: a Web Worker running the core's
//! GeoTIFF decoder (`src/bin/tessera-decoder.rs` starts it; Trunk builds it
//! as `tessera-decoder_loader.js`).
//!
//! Messages in: `{id, bytes: ArrayBuffer, uint16: bool}` (the file,
//! transferred). Out: `{ready: true}` once listening, then per job either
//! `{id, pixels: ArrayBuffer, uint16, decodeMs}` (transferred back) or
//! `{id, error}`.

use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint16Array, Uint8Array};
use tessera_core::geotiff::{decode_tile, DecodedTile};
use tessera_core::DType;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

fn set(target: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// Listens for jobs; call once at the worker's start.
pub fn run() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply_scope = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let (reply, transfer) = answer(&event.data());
        let sent = match transfer {
            Some(buffer) => reply_scope.post_message_with_transfer(&reply, &Array::of1(&buffer)),
            None => reply_scope.post_message(&reply),
        };
        if let Err(e) = sent {
            web_sys::console::error_2(&"tessera-decoder: cannot reply".into(), &e);
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The worker lives as long as the page.
    on_message.forget();
    let ready = Object::new();
    set(&ready, "ready", &JsValue::TRUE);
    let _ = scope.post_message(&ready);
}

/// The reply to one job, and the buffer to transfer with it.
fn answer(job: &JsValue) -> (Object, Option<ArrayBuffer>) {
    let reply = Object::new();
    let id = Reflect::get(job, &"id".into()).unwrap_or(JsValue::NULL);
    set(&reply, "id", &id);
    let bytes = Reflect::get(job, &"bytes".into())
        .ok()
        .and_then(|b| b.dyn_into::<ArrayBuffer>().ok());
    let Some(bytes) = bytes else {
        set(&reply, "error", &"the job has no file bytes".into());
        return (reply, None);
    };
    let uint16 = Reflect::get(job, &"uint16".into())
        .ok()
        .and_then(|u| u.as_bool())
        .unwrap_or(false);
    let dtype = if uint16 { DType::U16 } else { DType::U8 };
    let started = now();
    // Into this worker's wasm memory (the decoder reads a slice).
    let file = Uint8Array::new(&bytes).to_vec();
    match decode_tile(&file, dtype) {
        Ok(tile) => {
            let pixels = match &tile {
                DecodedTile::U8(values) => Uint8Array::from(&values[..]).buffer(),
                DecodedTile::U16(values) => Uint16Array::from(&values[..]).buffer(),
            };
            set(&reply, "pixels", &pixels);
            set(&reply, "uint16", &JsValue::from_bool(uint16));
            set(&reply, "decodeMs", &JsValue::from_f64(now() - started));
            (reply, Some(pixels))
        }
        Err(e) => {
            set(&reply, "error", &JsValue::from_str(&e.to_string()));
            (reply, None)
        }
    }
}

fn now() -> f64 {
    js_sys::global()
        .dyn_into::<web_sys::WorkerGlobalScope>()
        .ok()
        .and_then(|s| s.performance())
        .map_or(0.0, |p| p.now())
}
