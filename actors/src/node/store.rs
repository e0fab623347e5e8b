//! EventStore: appends events to a sled tree, bincode-encoded through
//! [`quantumtrade::events::codec`], keyed by sequence number.
//!
//! Layout of `data_dir/events.sled`: tree `events` (sequence key → event)
//! and tree `dead_letters` (sequence key → [`DeadLetter`]), the messages a
//! subscriber could not receive. Dead letters are written straight to their
//! tree by the sender ([`DeadLetterLog`]), not through the store's mailbox,
//! so a full or stopped store still gets its own dead letters recorded.

use super::telemetry::ActorStat;
use actix::{Actor, ActorContext, Context, Handler, Message, Supervised};
use anyhow::Context as _;
use quantumtrade::events::codec::{encode, encode_dead_letter, key, seq_of};
use quantumtrade::events::{DeadLetter, Event};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The sled directory of the store, under the data directory.
pub const STORE_DIR: &str = "events.sled";
/// The tree of events.
pub const EVENTS_TREE: &str = "events";
/// The tree of dead letters.
pub const DEAD_LETTERS_TREE: &str = "dead_letters";
/// The file in the data directory where a running node writes its URL
/// (removed at shutdown), for readers of the locked store.
pub const NODE_URL_FILE: &str = "node.url";

/// Page cache of a backtest's scratch store ([`EventStore::open_scratch`]).
const SCRATCH_CACHE_BYTES: u64 = 64 << 20;

/// Appends dead letters to their tree; shared by every sender.
#[derive(Debug)]
pub struct DeadLetterLog {
    tree: sled::Tree,
    next_seq: AtomicU64,
}

impl DeadLetterLog {
    fn open(db: &sled::Db) -> anyhow::Result<Self> {
        let tree = db
            .open_tree(DEAD_LETTERS_TREE)
            .context("cannot open dead_letters tree")?;
        let next_seq = next_seq(&tree).context("cannot read dead_letters tree")?;
        Ok(Self {
            tree,
            next_seq: AtomicU64::new(next_seq),
        })
    }

    /// Appends `letter`; returns its sequence number.
    ///
    /// # Errors
    /// When sled cannot write.
    pub fn record(&self, letter: &DeadLetter) -> sled::Result<u64> {
        let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
        self.tree.insert(key(seq), encode_dead_letter(letter))?;
        Ok(seq)
    }
}

/// Opens the sled directory `path`; while its lock is held (by `qtrade
/// events`, which holds it only for one read at a time) retries for up to
/// [`LOCK_WAIT`].
fn open_waiting_for_readers(path: &Path) -> sled::Result<sled::Db> {
    let start = std::time::Instant::now();
    loop {
        match sled::open(path) {
            Err(e)
                if e.to_string().contains("could not acquire lock")
                    && start.elapsed() < LOCK_WAIT =>
            {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

/// How long the node waits for a reader to release the store's lock.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// The sequence number after the last key of `tree` (0 when empty).
fn next_seq(tree: &sled::Tree) -> sled::Result<u64> {
    Ok(tree
        .last()?
        .and_then(|(k, _)| seq_of(&k).ok())
        .map_or(0, |s| s + 1))
}

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
    /// Shared with the trading journal, which appends to the same tree.
    next_seq: Arc<AtomicU64>,
    dir: std::path::PathBuf,
    stat: Arc<ActorStat>,
    dead_letters: Arc<DeadLetterLog>,
}

impl EventStore {
    /// Opens (or creates) the store under `dir`.
    ///
    /// # Errors
    /// When sled cannot open the directory.
    pub fn open(dir: &Path, stat: Arc<ActorStat>) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create data dir {}", dir.display()))?;
        let db = open_waiting_for_readers(&dir.join(STORE_DIR))
            .with_context(|| format!("cannot open event store in {}", dir.display()))?;
        Self::over(db, dir, stat)
    }

    /// Opens a new store under `dir` for a backtest: a real sled store, but
    /// with a small page cache (sled's default grows to 1 GiB) and no
    /// background flush timer, since a backtest's store is scratch that
    /// needs no crash-proofing (its journal skips the fsync as well:
    /// [`super::journal::Journal::without_sync`]).
    ///
    /// # Errors
    /// When sled cannot open the directory.
    pub fn open_scratch(dir: &Path, stat: Arc<ActorStat>) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create data dir {}", dir.display()))?;
        let db = sled::Config::new()
            .path(dir.join(STORE_DIR))
            .cache_capacity(SCRATCH_CACHE_BYTES)
            .flush_every_ms(None)
            .open()
            .with_context(|| format!("cannot open event store in {}", dir.display()))?;
        Self::over(db, dir, stat)
    }

    fn over(db: sled::Db, dir: &Path, stat: Arc<ActorStat>) -> anyhow::Result<Self> {
        let tree = db
            .open_tree(EVENTS_TREE)
            .context("cannot open events tree")?;
        let next_seq = next_seq(&tree).context("cannot read events tree")?;
        let dead_letters = Arc::new(DeadLetterLog::open(&db)?);
        Ok(Self {
            db,
            tree,
            next_seq: Arc::new(AtomicU64::new(next_seq)),
            dir: dir.join(STORE_DIR),
            stat,
            dead_letters,
        })
    }

    /// The dead-letter log of this store (for
    /// [`super::telemetry::Registry::set_dead_letters`]).
    #[must_use]
    pub fn dead_letters(&self) -> Arc<DeadLetterLog> {
        Arc::clone(&self.dead_letters)
    }

    /// The events tree, for readers (`/store/events`); sled trees are
    /// shared between threads.
    #[must_use]
    pub fn events_tree(&self) -> sled::Tree {
        self.tree.clone()
    }

    /// The trading journal over this store (durable appends to the same
    /// events tree, and the trading cores' snapshots).
    ///
    /// # Errors
    /// When sled cannot open the trading tree.
    pub fn journal(&self) -> anyhow::Result<super::journal::Journal> {
        super::journal::Journal::new(
            self.db.clone(),
            self.tree.clone(),
            Arc::clone(&self.next_seq),
            &self.dir,
        )
    }

    /// The dead-letter tree, for readers (`/store/dead_letters`).
    #[must_use]
    pub fn dead_letters_tree(&self) -> sled::Tree {
        self.dead_letters.tree.clone()
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
            let seq = self.next_seq.fetch_add(1, Ordering::SeqCst);
            self.tree.insert(key(seq), encode(&msg.0)).map(|_| seq + 1)
        });
        match ok {
            Some(Ok(next)) => self.stat.set_state(format!("next seq {next}")),
            Some(Err(e)) => {
                eprintln!("qtrade: event store append failed: {e}");
                self.stat.error("store_append");
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
                .map(|_| self.next_seq.load(Ordering::SeqCst))
                .map_err(|e| e.to_string())
        })
        .unwrap_or_else(|| Err("flush panicked".to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::telemetry::{Registry, Tracked};
    use quantumtrade::events::DeadLetterReason;
    use quantumtrade::events::codec::decode_dead_letter;
    use std::path::PathBuf;

    /// A directory removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            let p = std::env::temp_dir().join(format!("qtrade-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            Self(p)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// An actor that takes pings and can be told to stop.
    struct Sink;

    impl Actor for Sink {
        type Context = Context<Self>;
    }

    #[derive(Message)]
    #[rtype(result = "()")]
    struct Ping;

    #[derive(Message)]
    #[rtype(result = "()")]
    struct Stop;

    impl Handler<Ping> for Sink {
        type Result = ();
        fn handle(&mut self, _: Ping, _: &mut Context<Self>) {}
    }

    impl Handler<Append> for Sink {
        type Result = ();
        fn handle(&mut self, _: Append, _: &mut Context<Self>) {}
    }

    impl Handler<Stop> for Sink {
        type Result = ();
        fn handle(&mut self, _: Stop, ctx: &mut Context<Self>) {
            ctx.stop();
        }
    }

    fn letters(tree: &sled::Tree) -> Vec<(u64, DeadLetter)> {
        tree.iter()
            .map(|kv| {
                let (k, v) = kv.unwrap();
                (seq_of(&k).unwrap(), decode_dead_letter(&v).unwrap())
            })
            .collect()
    }

    #[test]
    fn open_waits_for_a_reader_to_let_go() {
        let dir = TempDir::new("lock-wait");
        std::fs::create_dir_all(&dir.0).unwrap();
        let reader = sled::open(dir.0.join(STORE_DIR)).unwrap();
        let registry = Registry::default();
        let stat = registry.register("event-store".into(), "EventStore", None, 4);
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let holder = std::thread::spawn(move || {
            // Let go once the node has tried (and failed) at least once.
            rx.recv().unwrap();
            drop(reader);
        });
        assert!(
            sled::open(dir.0.join(STORE_DIR))
                .unwrap_err()
                .to_string()
                .contains("could not acquire lock")
        );
        tx.send(()).unwrap();
        EventStore::open(&dir.0, stat).unwrap();
        holder.join().unwrap();
    }

    #[test]
    fn undeliverable_messages_become_dead_letters() {
        let dir = TempDir::new("dead-letters");
        let registry = Registry::default();
        let store_stat = registry.register("event-store".into(), "EventStore", None, 4);
        let store = EventStore::open(&dir.0, store_stat).unwrap();
        let tree = store.dead_letters_tree();
        registry.set_dead_letters(store.dead_letters());
        let stat = registry.register("sink".into(), "Sink", None, 1);
        actix::System::new().block_on(async move {
            let addr = Sink::create(|ctx| {
                ctx.set_mailbox_capacity(1);
                Sink
            });
            let sink = Tracked {
                addr: addr.clone(),
                stat: Arc::clone(&stat),
            };
            // The actor cannot run between these sends: one fits, two do not.
            sink.send(Ping);
            sink.send(Ping);
            sink.send(Append(quantumtrade::events::EventIds::new(1).event(
                quantumtrade::events::SystemEvent::NodeStopping {
                    reason: "test".into(),
                },
                5,
                None,
                None,
            )));
            let full = letters(&tree);
            assert_eq!(full.len(), 2);
            assert!(
                full.iter()
                    .all(|(_, l)| l.reason == DeadLetterReason::MailboxFull && l.target == "sink")
            );
            assert_eq!(full[0].1.message, "Ping");
            assert_eq!(full[1].1.message, "Append(system NodeStopping 1-0)");
            assert_eq!(stat.view().mailbox_depth, 1);

            addr.send(Stop).await.unwrap();
            while addr.connected() {
                tokio::task::yield_now().await;
            }
            sink.send(Ping);
            let all = letters(&tree);
            assert_eq!(all.len(), 3);
            assert_eq!(all[2].0, 2);
            assert_eq!(all[2].1.reason, DeadLetterReason::MailboxClosed);
        });
        // Sequence numbers continue after a reopen.
        drop((store, registry));
        let registry = Registry::default();
        let store = EventStore::open(&dir.0, registry.register("x".into(), "X", None, 1)).unwrap();
        let seq = store
            .dead_letters()
            .record(&DeadLetter {
                target: "t".into(),
                message: "m".into(),
                reason: DeadLetterReason::MailboxClosed,
                ts: 0,
            })
            .unwrap();
        assert_eq!(seq, 3);
    }
}
