//! `meetinghouse common-ground …`: placeholder until the engine lands.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("common-ground is not built yet")
}
