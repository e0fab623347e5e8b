//! Actor hop latency: one request/reply through an actix mailbox, on the
//! same arbiter and across threads, against the same round trip over a tokio
//! mpsc channel with a oneshot reply (the floor any async hop pays).
//!
//! `cargo bench -p quantumtrade-actors --bench actor_hop`

use actix::{Actor, Arbiter, Context, Handler, Message, System};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};

#[derive(Message)]
#[rtype(result = "u64")]
struct Ping(u64);

struct Echo;

impl Actor for Echo {
    type Context = Context<Self>;
}

impl Handler<Ping> for Echo {
    type Result = u64;
    fn handle(&mut self, msg: Ping, _: &mut Context<Self>) -> u64 {
        msg.0 + 1
    }
}

fn hops(c: &mut Criterion) {
    let mut g = c.benchmark_group("actor_hop_round_trip");
    g.measurement_time(Duration::from_secs(4));

    let sys = System::new();
    let local = sys.block_on(async { Echo.start() });
    g.bench_function("actix_same_arbiter", |b| {
        b.iter_custom(|iters| {
            sys.block_on(async {
                let start = Instant::now();
                for i in 0..iters {
                    black_box(local.send(Ping(i)).await.unwrap());
                }
                start.elapsed()
            })
        });
    });

    let other = Arbiter::new();
    let remote = sys.block_on(async { Echo::start_in_arbiter(&other.handle(), |_| Echo) });
    g.bench_function("actix_other_thread", |b| {
        b.iter_custom(|iters| {
            sys.block_on(async {
                let start = Instant::now();
                for i in 0..iters {
                    black_box(remote.send(Ping(i)).await.unwrap());
                }
                start.elapsed()
            })
        });
    });

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(u64, tokio::sync::oneshot::Sender<u64>)>(1024);
    rt.spawn(async move {
        while let Some((v, reply)) = rx.recv().await {
            let _ = reply.send(v + 1);
        }
    });
    g.bench_function("tokio_mpsc_oneshot_same_thread", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for i in 0..iters {
                    let (otx, orx) = tokio::sync::oneshot::channel();
                    tx.send((i, otx)).await.unwrap();
                    black_box(orx.await.unwrap());
                }
                start.elapsed()
            })
        });
    });
    g.finish();
    other.stop();
}

criterion_group!(benches, hops);
criterion_main!(benches);
