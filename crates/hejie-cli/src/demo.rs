//! `hejie demo`: the demo county, its staff with the demo password, and cases in every state.

use anyhow::{Context, Result};
use hejie_domain::personal::PiiSealer;
use hejie_store::{Store, now};

use crate::synth;

/// The password of every demo account.
pub const PASSWORD: &str = "demo1234";

/// Seeds an empty database; leaves one that already has cases as it is.
pub async fn seed(store: &dyn Store, sealer: &dyn PiiSealer, cases: u64) -> Result<()> {
    let existing = store
        .list_cases(&hejie_store::CaseFilter {
            limit: 1,
            ..Default::default()
        })
        .await?;
    if !existing.is_empty() {
        println!("使用已有的演示数据库");
        return Ok(());
    }
    // Eight months of cases: old ones closed and followed up, recent ones still in progress.
    let from = now().plus_seconds(-86_400 * 240);
    let s = synth::run(
        store,
        sealer,
        synth::Spec {
            cases,
            townships: 3,
            seed: 2026,
            from,
            now: now(),
            progress: true,
        },
    )
    .await?;
    store.checkpoint(now()).await?;
    let hash = hejie_server::auth::hash_password(PASSWORD)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("hashing the demo password")?;
    for u in store.users().await? {
        store.set_password(u.id, &hash).await?;
    }
    println!(
        "演示县“青溪市和安县”已生成：{} 件案件，{} 条事件记录",
        s.cases, s.events
    );
    println!(
        "演示账号（密码均为 {PASSWORD}）：admin 管理员，clerk 县中心窗口受理员，t0-centre 乡镇窗口，t0v0 村调委会调解员，t0v0g1 网格员，supervisor 督办人"
    );
    Ok(())
}
