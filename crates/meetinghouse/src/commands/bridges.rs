//! `meetinghouse bridges …`: placeholder until the engine lands.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("bridges is not built yet")
}
