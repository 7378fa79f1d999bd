"""bench/peers/adhoc: ad-hoc commands on the demo lab and a 20-task play behind a bastion.

Scenarios (ids as written to --json):
  adhoc.true      `true` on web1 web2 db1 db2 (topology/demo.yml, direct)
  adhoc.uname     `uname -a` on the same four hosts
  tasks20.pair    20 tasks of `true`, one after the other, on t01 and t02
                  behind bastion1 (topology/tree.yml)
  tasks20.wan     the same on w01 and w02 behind gw (topology/wan.yml), whose
                  link from the controller has 50 ms RTT
"""
import argparse
import sys

from peerlib import (ANSIBLE_DIR, BIN, LABELS, PSSH_RUN, PYINFRA_DIR, BenchError, Lab, Scratch,
                     ansible_env, close_control_masters, fmt_s, log, print_table, run, summarize,
                     write_json, script_main)
import tempfile
import shutil
from pathlib import Path

DEMO_HOSTS = ["web1", "web2", "db1", "db2"]
ADHOC_PEERS = ["ansible", "ansible-warm", "mitogen", "pyinfra", "parallel-ssh"]
TASKS_PEERS = ["ansible", "mitogen", "mitogen-via", "pyinfra", "parallel-ssh"]


def adhoc_command(peer, command, addresses, scratch, control_dir=None):
    if peer in ("ansible", "ansible-warm", "mitogen"):
        argv = [BIN / "ansible", "-i", ANSIBLE_DIR / "demo.ini", "demo", "-m", "command", "-a", command]
        return argv, ansible_env(scratch, mitogen=peer == "mitogen", control_dir=control_dir)
    if peer == "pyinfra":
        return [BIN / "pyinfra", ",".join(DEMO_HOSTS), "--data", "ssh_config_file=/run/rhizome-lab/demo/ssh_config",
                "-y", "exec", "--", *command.split()], None
    if peer == "parallel-ssh":
        return [BIN / "python", PSSH_RUN, "run", ",".join(addresses), "--", command], None
    raise ValueError(peer)


TASKS = {
    "tree": {"id": "tasks20.pair", "bastion": "bastion1", "hosts": ["t01", "t02"],
             "inventory": "tree.ini", "via_inventory": "tree-via.ini",
             "what": "t01+t02 behind bastion1 (tree)"},
    "wan": {"id": "tasks20.wan", "bastion": "gw", "hosts": ["w01", "w02"],
            "inventory": "wan.ini", "via_inventory": "wan-via.ini",
            "what": "w01+w02 behind gw, 50 ms RTT (wan)"},
}


def tasks20_command(peer, topo, scenario, scratch):
    if peer in ("ansible", "mitogen", "mitogen-via"):
        inventory = scenario["via_inventory"] if peer == "mitogen-via" else scenario["inventory"]
        argv = [BIN / "ansible-playbook", "-i", ANSIBLE_DIR / inventory, "-l", "pair", ANSIBLE_DIR / "tasks20.yml"]
        return argv, ansible_env(scratch, mitogen=peer != "ansible")
    if peer == "pyinfra":
        return [BIN / "pyinfra", ",".join(scenario["hosts"]),
                "--data", f"ssh_config_file=/run/rhizome-lab/{topo.name}/ssh_config",
                "-y", PYINFRA_DIR / "tasks20.py"], None
    if peer == "parallel-ssh":
        return [BIN / "python", PSSH_RUN, "run", "--proxy", topo.address(scenario["bastion"]), "--repeat", "20",
                ",".join(topo.address(h) for h in scenario["hosts"]), "--", "true"], None
    raise ValueError(peer)


def measure(peer, make, runs, timeout):
    """Runs make(scratch, control_dir) -> (argv, env) `runs` times; stops a peer at its first failure."""
    times, error = [], None
    warm_dir = Path(tempfile.mkdtemp(prefix="rhizome-peers-cp-")) if peer == "ansible-warm" else None
    try:
        rounds = runs + (1 if warm_dir else 0)
        for i in range(rounds):
            with Scratch() as scratch:
                argv, env = make(scratch, warm_dir)
                try:
                    elapsed, _, _ = run([str(a) for a in argv], timeout, env)
                except BenchError as failure:
                    error = str(failure)
                    log(f"  {peer}: FAILED: {error}")
                    break
            if warm_dir and i == 0:
                continue
            times.append(elapsed)
            log(f"  {peer}: run {len(times)}/{runs}: {elapsed:.2f} s")
    finally:
        if warm_dir:
            close_control_masters(warm_dir)
            shutil.rmtree(warm_dir, ignore_errors=True)
    return {"peer": peer, "label": LABELS[peer], "runs": len(times), "times_s": [round(t, 4) for t in times],
            **summarize(times), "ok": error is None and bool(times), "error": error}


def main():
    parser = argparse.ArgumentParser(prog="bench/peers/adhoc", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs per peer of each ad-hoc command (default 5)")
    parser.add_argument("--tasks-runs", type=int, default=3, help="runs per peer of the 20-task play (default 3)")
    parser.add_argument("--peers", default=None, help="comma-separated subset of: " + ", ".join(LABELS))
    parser.add_argument("--skip-adhoc", action="store_true")
    parser.add_argument("--skip-tasks", action="store_true")
    parser.add_argument("--skip-wan", action="store_true", help="skip the 20-task play on the 50 ms RTT lab")
    parser.add_argument("--timeout", type=float, default=300, help="limit per command, s (default 300)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    args.runs = max(1, min(args.runs, 100))
    args.tasks_runs = max(1, min(args.tasks_runs, 100))
    wanted = set(args.peers.split(",")) if args.peers else set(LABELS)
    unknown = wanted - set(LABELS)
    if unknown:
        parser.error(f"unknown peer(s): {', '.join(sorted(unknown))}")

    results = []
    task_topologies = [] if args.skip_tasks else (["tree"] if args.skip_wan else ["tree", "wan"])
    names = ([] if args.skip_adhoc else ["demo"]) + task_topologies
    with Lab(*names) as lab:
        if not args.skip_adhoc:
            demo = lab["demo"]
            addresses = [demo.address(h) for h in DEMO_HOSTS]
            for scenario, command in (("adhoc.true", "true"), ("adhoc.uname", "uname -a")):
                log(f"{scenario}: `{command}` on {' '.join(DEMO_HOSTS)}")
                for peer in [p for p in ADHOC_PEERS if p in wanted]:
                    result = measure(peer, lambda s, c: adhoc_command(peer, command, addresses, s, c),
                                     args.runs, args.timeout)
                    results.append({"scenario": scenario, "topology": "demo", "hosts": DEMO_HOSTS,
                                    "command": command, **result})
        for name in task_topologies:
            topo, scenario = lab[name], TASKS[name]
            log(f"{scenario['id']}: 20 x `true` on {scenario['what']}")
            for peer in [p for p in TASKS_PEERS if p in wanted]:
                result = measure(peer, lambda s, c: tasks20_command(peer, topo, scenario, s),
                                 args.tasks_runs, args.timeout)
                results.append({"scenario": scenario["id"], "topology": name, "hosts": scenario["hosts"],
                                "via": scenario["bastion"], "command": "20 x true", **result})

    adhoc_rows = {}
    for r in results:
        if r["scenario"].startswith("adhoc."):
            adhoc_rows.setdefault(r["peer"], {})[r["scenario"]] = r
    if adhoc_rows:
        rows = []
        for peer, by in adhoc_rows.items():
            cells = [LABELS[peer]]
            for scenario in ("adhoc.true", "adhoc.uname"):
                r = by.get(scenario)
                cells.append("-" if r is None else (fmt_s(r["median_s"]) if r["ok"] else "FAILED"))
            cells.append(max(r["runs"] for r in by.values()))
            rows.append(cells)
        print_table(f"Ad-hoc on 4 direct hosts (demo), median wall time incl. start-up",
                    ["peer", "command true", "uname -a", "runs"], rows)
    for name in task_topologies:
        scenario = TASKS[name]
        tasks = [r for r in results if r["scenario"] == scenario["id"]]
        rows = [[LABELS[r["peer"]], fmt_s(r["median_s"]) if r["ok"] else "FAILED", fmt_s(r["min_s"]),
                 fmt_s(r["max_s"]), r["runs"]] for r in tasks]
        print_table(f"{scenario['id']}: 20 tasks of `command true` on {scenario['what']}, wall time",
                    ["peer", "median", "min", "max", "runs"], rows)
    failures = [r for r in results if not r["ok"]]
    for r in failures:
        print(f"\n{r['scenario']} {r['label']} failed:\n{r['error']}")
    if args.json:
        write_json(args.json, "bench/peers/adhoc", results,
                   settings={"runs": args.runs, "tasks_runs": args.tasks_runs})
        print(f"\nwrote {args.json}")
    return 1 if failures else 0


if __name__ == "__main__":
    script_main("adhoc", main)
