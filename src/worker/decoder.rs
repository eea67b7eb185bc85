//! A decoder worker's entry point (`src/bin/tessera-decoder.rs` calls
//! [`run`]; Trunk builds it as `tessera-decoder_loader.js`): it reads
//! [`Request`]s, runs them as [`Jobs`] and posts their [`Reply`]s back.

use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::worker::jobs::Jobs;
use crate::worker::protocol::{Reply, Request};

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Posts a reply to the page, transferring its buffer.
fn post(reply: Reply) {
    let message = reply.to_message();
    let scope = scope();
    let sent = match message.transfer_list() {
        Some(transfer) => scope.post_message_with_transfer(&message.value, &transfer),
        None => scope.post_message(&message.value),
    };
    if let Err(e) = sent {
        web_sys::console::error_2(&"tessera-decoder: cannot reply".into(), &e);
    }
}

/// Listens for jobs; call once at the worker's start.
pub fn run() {
    // The worker's own jobs, for its whole life.
    let jobs = Rc::new(Jobs::default());
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        match Request::from_message(&event.data()) {
            Ok(Request::Cancel { id }) => jobs.cancel(id),
            Ok(request) => {
                wasm_bindgen_futures::spawn_local(jobs.clone().run(request, Rc::new(post)))
            }
            Err(e) => web_sys::console::error_1(&format!("tessera-decoder: {e}").into()),
        }
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The worker lives as long as the page.
    on_message.forget();
    post(Reply::Ready);
}
