//! The decoder workers: the message protocol ([`protocol`]), the jobs
//! they do ([`jobs`]), the page's pool of them ([`pool`]) and a worker's
//! entry point ([`decoder`]).

pub mod decoder;
pub mod jobs;
pub mod pool;
pub mod protocol;
