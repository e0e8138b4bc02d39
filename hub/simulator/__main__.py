"""`python -m hub.simulator CODE [OPTIONS]`: the same as `hub simulate-unit`."""

import typer

from hub.simulator.cli import simulate_unit

if __name__ == "__main__":
    typer.run(simulate_unit)
