//! `hejie report monthly [--division CODE] --month YYYY-MM --out FILE.pdf`: makes an area's
//! 《人民调解研判预警专报》 for a month with the server's own code, keeps it in the database as the
//! next version (as the page and the scheduled job do), and writes the PDF to a file.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use hejie_domain::division::DivisionCode;
use hejie_store::Store;

#[derive(Debug, clap::Subcommand)]
pub enum What {
    /// The monthly report of an area.
    Monthly {
        /// The area's division code (default: the deployment's top division).
        #[arg(long)]
        division: Option<String>,
        /// The month, as YYYY-MM.
        #[arg(long)]
        month: String,
        /// Where to write the PDF.
        #[arg(long)]
        out: PathBuf,
    },
}

/// The division a report is about: the one asked for, or the only top-level division.
fn area(state: &hejie_server::AppState, asked: Option<&str>) -> Result<DivisionCode> {
    let reference = state.reference();
    if let Some(code) = asked {
        let code = DivisionCode::parse(code).map_err(|e| anyhow!("区划代码“{code}”无效：{e}"))?;
        if reference.division(&code).is_none() {
            bail!("区划代码“{code}”不在本系统的区划中");
        }
        return Ok(code);
    }
    let tops: Vec<&DivisionCode> = reference
        .tree
        .iter()
        .filter(|d| d.parent.is_none())
        .map(|d| &d.code)
        .collect();
    match tops.as_slice() {
        [one] => Ok((*one).clone()),
        [] => bail!("数据库中尚无区划，无法生成专报"),
        many => bail!(
            "本系统有多个顶级区划（{}），请用 --division 指定",
            many.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join("、")
        ),
    }
}

pub async fn run(
    store: Arc<dyn Store>,
    sealer: hejie_crypto::KeyedSealer,
    what: What,
) -> Result<()> {
    let What::Monthly {
        division,
        month,
        out,
    } = what;
    let state = hejie_server::AppState::new(
        store,
        Arc::new(sealer),
        Arc::new(hejie_server::sms::ConsoleSms),
        hejie_server::Config {
            scheduler_poll_ms: 0,
            ..hejie_server::Config::default()
        },
    )
    .await
    .map_err(|e| anyhow!("{e}"))
    .context("loading reference data")?;
    let division = area(&state, division.as_deref())?;
    let first = hejie_server::report::parse_month(&month).map_err(|e| anyhow!("{e}"))?;
    let started = std::time::Instant::now();
    let (info, pdf) = hejie_server::report::make_and_keep(&state, &division, first, "cli")
        .await
        .map_err(|e| anyhow!("{e}"))
        .context("making the monthly report")?;
    let secs = started.elapsed().as_secs_f64();
    std::fs::write(&out, &pdf).with_context(|| format!("writing {}", out.display()))?;
    println!(
        "已生成《{}》第{}版：{}（{} 字节，SM3 {}，用时 {secs:.2} 秒）",
        info.title,
        info.version,
        out.display(),
        info.size,
        info.digest
    );
    Ok(())
}
