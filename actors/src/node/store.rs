//! EventStore: appends events to a sled tree, bincode-encoded through
//! [`quantumtrade::events::codec`], keyed by sequence number.

use super::telemetry::ActorStat;
use actix::{Actor, ActorContext, Context, Handler, Message, Supervised};
use anyhow::Context as _;
use quantumtrade::events::Event;
use quantumtrade::events::codec::{encode, key};
use std::path::Path;
use std::sync::Arc;

/// Appends an event.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Append(pub Event);

/// Flushes the store; replies with the next sequence number.
#[derive(Message)]
#[rtype(result = "Result<u64, String>")]
pub struct Flush;

/// The event-store writer.
pub struct EventStore {
    db: sled::Db,
    tree: sled::Tree,
    next_seq: u64,
    stat: Arc<ActorStat>,
}

impl EventStore {
    /// Opens (or creates) the store under `dir`.
    ///
    /// # Errors
    /// When sled cannot open the directory.
    pub fn open(dir: &Path, stat: Arc<ActorStat>) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create data dir {}", dir.display()))?;
        let db = sled::open(dir.join("events.sled"))
            .with_context(|| format!("cannot open event store in {}", dir.display()))?;
        let tree = db.open_tree("events").context("cannot open events tree")?;
        let next_seq = tree
            .last()
            .context("cannot read events tree")?
            .and_then(|(k, _)| <[u8; 8]>::try_from(k.as_ref()).ok())
            .map_or(0, |k| u64::from_be_bytes(k) + 1);
        Ok(Self {
            db,
            tree,
            next_seq,
            stat,
        })
    }
}

impl Actor for EventStore {
    type Context = Context<Self>;
}

impl Supervised for EventStore {
    fn restarting(&mut self, _: &mut Context<Self>) {
        self.stat.restarted();
    }
}

impl Handler<Append> for EventStore {
    type Result = ();

    fn handle(&mut self, msg: Append, ctx: &mut Context<Self>) {
        let stat = Arc::clone(&self.stat);
        let ok = stat.run(|| {
            self.tree
                .insert(key(self.next_seq), encode(&msg.0))
                .map(|_| {
                    self.next_seq += 1;
                })
        });
        match ok {
            Some(Ok(())) => self.stat.set_state(format!("next seq {}", self.next_seq)),
            Some(Err(e)) => {
                eprintln!("qtrade: event store append failed: {e}");
                metrics::counter!("qtrade_errors_total", "kind" => "store_append").increment(1);
            }
            None => ctx.stop(),
        }
    }
}

impl Handler<Flush> for EventStore {
    type Result = Result<u64, String>;

    fn handle(&mut self, _: Flush, _: &mut Context<Self>) -> Self::Result {
        let stat = Arc::clone(&self.stat);
        stat.run(|| {
            self.db
                .flush()
                .map(|_| self.next_seq)
                .map_err(|e| e.to_string())
        })
        .unwrap_or_else(|| Err("flush panicked".to_owned()))
    }
}
