//! `hejie demo`: the demo county, its staff with the demo password, and cases in every state.

use crate::now;
use anyhow::{Context, Result};
use hejie_domain::personal::PiiSealer;
use hejie_store::Store;

use crate::synth;

/// The password of every demo account.
pub const PASSWORD: &str = "demo1234";

/// Seeds an empty database; leaves one that already has cases as it is. Returns whether it
/// seeded.
pub async fn seed(store: &dyn Store, sealer: &dyn PiiSealer, cases: u64) -> Result<bool> {
    let existing = store
        .list_cases(&hejie_store::CaseFilter {
            limit: 1,
            ..Default::default()
        })
        .await?;
    if !existing.is_empty() {
        println!("使用已有的演示数据库");
        return Ok(false);
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
    let checks = schedule_checks(store).await?;
    store.checkpoint(now()).await?;
    let hash = hejie_server::auth::hash_password(PASSWORD)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("hashing the demo password")?;
    for u in store.users().await? {
        store.set_password(u.id, &hash).await?;
    }
    println!(
        "演示县“青溪市和安县”已生成：{} 件案件，{} 条事件记录，{checks} 件在办案件已排入时限监控",
        s.cases, s.events
    );
    println!(
        "基层走访：{} 个村（社区）和网格边界，{} 条网格上报、巡查、进村走访、咨询和活动记录",
        s.areas, s.field_records
    );
    println!(
        "演示账号（密码均为 {PASSWORD}）：admin 管理员，clerk 县中心窗口受理员，t0-centre 乡镇窗口，t0v0 村调委会调解员，t0v0g1 网格员（手机端 /m），t0v0-lawyer 法律顾问（手机端 /m），supervisor 督办人"
    );
    Ok(true)
}

/// Trains the escalation model on the freshly seeded cases, so the demo's case pages show
/// 升级风险 and `/admin/model` its held-out AUC. Too few escalations is not an error for a
/// demo: the reason is printed and the demo runs without a model.
pub async fn train(store: std::sync::Arc<dyn Store>) -> Result<()> {
    use hejie_server::escalation::{self, RetrainConfig, RetrainError};
    match escalation::retrain(store, now(), &RetrainConfig::default()).await {
        Ok(r) => println!(
            "升级风险模型已训练：{} 件已结案件，留出检验期 AUC {:.3}",
            r.train.cases + r.held_out.cases,
            r.auc
        ),
        Err(RetrainError::Refused(message)) => println!("未训练升级风险模型：{message}"),
        Err(RetrainError::Store(e)) => {
            return Err(anyhow::Error::new(e).context("training the escalation model"));
        }
    }
    Ok(())
}

/// The generator writes cases through the store directly, without the server's effects, so no
/// case has its time-limit check scheduled. Schedules one, due now, for every open case, so the
/// scheduler marks the overdue ones (notifying the level above, filling the 督办看板) and reminds
/// the rest at the right time as soon as the demo serves.
async fn schedule_checks(store: &dyn Store) -> Result<u64> {
    let at = now();
    let mut before = None;
    let mut scheduled = 0;
    loop {
        let page = store
            .list_cases(&hejie_store::CaseFilter {
                open_registered_before: Some(at),
                before,
                limit: 500,
                ..Default::default()
            })
            .await?;
        let Some(last) = page.last() else {
            break;
        };
        before = Some((last.registered_at, last.id));
        let schedule = page
            .iter()
            .map(|c| hejie_store::work::NewJob {
                key: format!("case:{}", c.id),
                kind: hejie_server::workflow::CASE_JOB.to_owned(),
                due_at: at,
                payload: serde_json::json!({ "case": c.id.to_string() }).to_string(),
            })
            .collect::<Vec<_>>();
        scheduled += schedule.len() as u64;
        store
            .apply_effects(
                hejie_store::work::Effects {
                    schedule,
                    ..Default::default()
                },
                at,
            )
            .await
            .context("scheduling the demo cases' time-limit checks")?;
    }
    Ok(scheduled)
}
