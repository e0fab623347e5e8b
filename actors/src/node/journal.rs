//! The trading journal: orders, fills, positions and risk decisions are
//! written to the event store *and made durable* before the trading actors
//! act on them, together with the snapshot of the core that made them, so
//! that a node killed at any point restarts from what it last acted on.
//!
//! sled's `flush` is not an fsync (../shared/STACK.md §4), so every commit
//! flushes and then `sync_all`s sled's data file. One commit per handled
//! message groups its events under that one sync.

use anyhow::Context as _;
use quantumtrade::events::Event;
use quantumtrade::events::codec::{encode, key};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The tree holding each trading core's latest snapshot (key: the core's name).
pub const TRADING_TREE: &str = "trading";

/// Durable appends shared by the trading actors.
#[derive(Debug, Clone)]
pub struct Journal {
    db: sled::Db,
    events: sled::Tree,
    cores: sled::Tree,
    next_seq: Arc<AtomicU64>,
    data_file: Arc<Option<File>>,
    /// Commits flush and fsync before returning (false: a backtest's).
    durable: bool,
}

impl Journal {
    /// A journal writing into the store's `events` tree (sharing its
    /// sequence counter) and the `trading` tree.
    ///
    /// # Errors
    /// When sled cannot open the tree.
    pub fn new(
        db: sled::Db,
        events: sled::Tree,
        next_seq: Arc<AtomicU64>,
        dir: &Path,
    ) -> anyhow::Result<Self> {
        let cores = db
            .open_tree(TRADING_TREE)
            .context("cannot open the trading tree")?;
        // sled 0.34 keeps its log in `<dir>/db`; without it (another sled
        // layout) commits still flush, and say once that they cannot sync.
        let data_file = File::open(dir.join("db")).ok();
        if data_file.is_none() {
            eprintln!(
                "qtrade: warning: no sled data file in {}; trading commits are flushed, not fsynced",
                dir.display()
            );
        }
        Ok(Self {
            db,
            events,
            cores,
            next_seq,
            data_file: Arc::new(data_file),
            durable: true,
        })
    }

    /// The same journal, its commits neither flushed nor fsynced. For a
    /// backtest only: it needs no crash-proofing (a killed backtest is run
    /// again from its files), and a flush and an fsync per commit would
    /// bound its speed by the disk. The events still go to the real sled
    /// store, which a backtest reads its orders and fills back from.
    #[must_use]
    pub fn without_sync(mut self) -> Self {
        self.durable = false;
        self
    }

    /// Appends `events` and stores `core`'s snapshot under `name`, then
    /// makes both durable.
    ///
    /// # Errors
    /// When sled cannot write or the sync fails: the caller must not act.
    pub fn commit<T: Serialize>(
        &self,
        events: &[Event],
        name: &str,
        core: &T,
    ) -> anyhow::Result<()> {
        for e in events {
            let seq = self.next_seq.fetch_add(1, Ordering::SeqCst);
            self.events
                .insert(key(seq), encode(e))
                .context("cannot append a trade event")?;
        }
        let bytes = bincode::serde::encode_to_vec(core, bincode::config::standard())
            .context("cannot encode a trading snapshot")?;
        self.cores
            .insert(name.as_bytes(), bytes)
            .with_context(|| format!("cannot store the {name} snapshot"))?;
        if self.durable {
            self.db.flush().context("cannot flush the store")?;
            if let Some(f) = self.data_file.as_ref() {
                f.sync_all().context("cannot fsync the store")?;
            }
        }
        metrics::counter!("qtrade_journal_commits_total").increment(1);
        Ok(())
    }

    /// The stored bytes of the core `name`'s last snapshot (for a core that
    /// decodes older forms itself).
    ///
    /// # Errors
    /// When sled cannot read it.
    pub fn load_bytes(&self, name: &str) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(self
            .cores
            .get(name.as_bytes())
            .with_context(|| format!("cannot read the {name} snapshot"))?
            .map(|b| b.to_vec()))
    }

    /// The last snapshot of the core `name`, if one was committed.
    ///
    /// # Errors
    /// When the stored bytes do not decode (a snapshot from an incompatible
    /// version): the node must not trade on a guess.
    pub fn load<T: DeserializeOwned>(&self, name: &str) -> anyhow::Result<Option<T>> {
        let Some(bytes) = self
            .cores
            .get(name.as_bytes())
            .with_context(|| format!("cannot read the {name} snapshot"))?
        else {
            return Ok(None);
        };
        let (v, _) = bincode::serde::decode_from_slice(&bytes, bincode::config::standard())
            .with_context(|| format!("the stored {name} snapshot does not decode"))?;
        Ok(Some(v))
    }
}
