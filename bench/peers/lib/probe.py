"""bench/peers/probe: is every host of the tree lab reachable, and how long does it take to find out?

Scenario (id as written to --json):
  probe.tree   every host of topology/tree.yml: bastion1, bastion2, bastion3 (behind
               bastion2), t01..t08 behind bastion1, u01..u04 behind bastion3 (3 hops)

What each tool runs is what its users type to check reachability:
  rhizome          rhizome topology --probe (relay mode: an agent on each bastion)
  rhizome-tunnel   the same with --via-mode tunnel (ProxyJump-like, agents on no bastion)
  rhizome-cached   the same as rhizome with --target-cache (the agent kept on each host
                   between runs; one warm-up run first, not counted)
  ansible/mitogen  ansible all -m ping
  pyinfra          pyinfra HOSTS exec -- true
parallel-ssh is left out: its proxy_host takes one bastion, and u01..u04 sit behind two.
pyinfra is given the 11 hosts it can reach: its paramiko client follows a host's ProxyJump
but not the jump host's own ProxyJump, so u01..u04 (bastion2, then bastion3) fail to connect.
"""
import argparse
import json
import os
import sys

from peerlib import (ANSIBLE_DIR, BIN, LABELS, ROOT, BenchError, Lab, Scratch, ansible_env, fmt_s, log,
                     print_table, run, summarize, write_json, script_main)

HOSTS = ["bastion1", "bastion2", "bastion3"] + [f"t{i:02d}" for i in range(1, 9)] + [f"u{i:02d}" for i in range(1, 5)]
ALL_LABELS = {"rhizome": "Rhizome probe (relay)", "rhizome-tunnel": "Rhizome probe (tunnel)",
              "rhizome-cached": "Rhizome probe (relay, warm target cache)", **LABELS}
PEERS = ["rhizome", "rhizome-tunnel", "rhizome-cached", "ansible", "mitogen", "pyinfra"]
TARGET_CACHE = "/var/tmp/rhizome-bench-probe"


def command(peer, scratch):
    if peer.startswith("rhizome"):
        env = dict(os.environ, RHIZOME_AGENT=str(ROOT / "bin" / "rhizome-agent"), NO_COLOR="1")
        env.pop("SSH_AUTH_SOCK", None)
        argv = [ROOT / "bin" / "rhizome", "topology", "--probe", "-i", ROOT / "topology" / "tree.yml", "--format", "json"]
        if peer == "rhizome-tunnel":
            argv += ["--via-mode", "tunnel"]
        if peer == "rhizome-cached":
            argv += ["--target-cache", TARGET_CACHE]
        return argv, env
    if peer in ("ansible", "mitogen"):
        return ([BIN / "ansible", "-i", ANSIBLE_DIR / "tree-all.ini", "all", "-m", "ping"],
                ansible_env(scratch, mitogen=peer == "mitogen"))
    if peer == "pyinfra":
        return [BIN / "pyinfra", ",".join(reachable(peer)), "--data", "ssh_config_file=/run/rhizome-lab/tree/ssh_config",
                "-y", "exec", "--", "true"], None
    raise ValueError(peer)


def reachable(peer):
    """The hosts a tool is asked to reach (pyinfra cannot follow nested jumps)."""
    return [h for h in HOSTS if not h.startswith("u")] if peer == "pyinfra" else HOSTS


def check(peer, stdout):
    """Every host must have been reached: a run that reached fewer does not count."""
    if peer.startswith("rhizome"):
        nodes = json.loads(stdout[stdout.index("{"):])["nodes"]
        up = {n["name"] for n in nodes if (n.get("probe") or {}).get("state") == "up"}
    elif peer in ("ansible", "mitogen"):
        up = {line.split(" | ")[0] for line in stdout.splitlines() if " | SUCCESS" in line}
    else:
        up = {line.split("]")[0].strip(" [") for line in stdout.splitlines() if line.strip().endswith("] Success")
              or ("]" in line and line.split("]", 1)[1].strip() == "Success")}
    missing = sorted(set(reachable(peer)) - up)
    if missing:
        raise BenchError(f"not reached: {', '.join(missing)}")


def measure(peer, runs, timeout):
    times, error = [], None
    warm_up = 1 if peer == "rhizome-cached" else 0
    for i in range(runs + warm_up):
        with Scratch() as scratch:
            argv, env = command(peer, scratch)
            try:
                elapsed, _, stdout = run([str(a) for a in argv], timeout, env)
                check(peer, stdout)
            except BenchError as failure:
                error = str(failure)
                log(f"  {peer}: FAILED: {error}")
                break
        if i < warm_up:
            continue
        times.append(elapsed)
        log(f"  {peer}: run {len(times)}/{runs}: {elapsed:.2f} s")
    return {"peer": peer, "label": ALL_LABELS[peer], "runs": len(times), "times_s": [round(t, 4) for t in times],
            **summarize(times), "ok": error is None and bool(times), "error": error}


def main():
    parser = argparse.ArgumentParser(prog="bench/peers/probe", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs per tool (default 5)")
    parser.add_argument("--peers", default=None, help="comma-separated subset of: " + ", ".join(PEERS))
    parser.add_argument("--timeout", type=float, default=300, help="limit per command, s (default 300)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    args.runs = max(1, min(args.runs, 100))
    wanted = args.peers.split(",") if args.peers else PEERS
    unknown = set(wanted) - set(PEERS)
    if unknown:
        parser.error(f"unknown tool(s): {', '.join(sorted(unknown))}")
    for binary in ("rhizome", "rhizome-agent"):
        if any(p.startswith("rhizome") for p in wanted) and not (ROOT / "bin" / binary).exists():
            raise BenchError(f"bin/{binary} is missing: run `make build` first")

    results = []
    with Lab("tree") as lab:
        log(f"probe.tree: reach all {len(HOSTS)} hosts of the tree lab")
        for peer in [p for p in PEERS if p in wanted]:
            results.append({"scenario": "probe.tree", "topology": "tree", "hosts": reachable(peer),
                            **measure(peer, args.runs, args.timeout)})
        if "rhizome-cached" in wanted:
            for host in HOSTS:
                lab["tree"].exec(host, "rm", "-rf", TARGET_CACHE)

    base = next((r["median_s"] for r in results if r["peer"] == "rhizome" and r["ok"]), None)
    rows = []
    for r in results:
        ratio = "-" if not (r["ok"] and base) else f"{r['median_s'] / base:.1f}x"
        rows.append([r["label"], len(r["hosts"]), fmt_s(r["median_s"]) if r["ok"] else "FAILED", fmt_s(r["min_s"]), fmt_s(r["max_s"]),
                     ratio, r["runs"]])
    print_table(f"probe.tree: every one of {len(HOSTS)} hosts reached (3 bastions, up to 3 hops), wall time",
                ["tool", "hosts", "median", "min", "max", "vs Rhizome", "runs"], rows)
    failures = [r for r in results if not r["ok"]]
    for r in failures:
        print(f"\n{r['label']} failed:\n{r['error']}")
    if args.json:
        write_json(args.json, "bench/peers/probe", results, settings={"runs": args.runs})
        print(f"\nwrote {args.json}")
    return 1 if failures else 0


if __name__ == "__main__":
    script_main("probe", main)
