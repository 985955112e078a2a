"""Generate a believable demo or benchmark network of N distributors.

python setup/generate_network.py --config odoo.conf --db mlm_demo --size 1000 [--seed 42]
"""

import argparse
import time

from odoo_env import odoo_env


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="Odoo configuration file")
    parser.add_argument("--db", required=True, help="database with mlm_network installed")
    parser.add_argument("--size", type=int, default=1000, help="number of distributors (default 1000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (same seed, same network)")
    args = parser.parse_args()
    started = time.monotonic()
    with odoo_env(args.config, args.db) as env:
        root = env["mlm.network.generator"].generate(size=args.size, seed=args.seed)
        print(
            f"generated {args.size} distributors under {root.display_name} "
            f"in {time.monotonic() - started:.1f} s (depth {max(root.search([]).mapped('depth'))})"
        )


if __name__ == "__main__":
    main()
