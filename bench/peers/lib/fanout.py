"""bench/peers/fanout: one file copied to every target behind a bastion, with each peer.

Scenarios (ids as written to --json):
  fanout.tree8   t01..t08 behind bastion1 (topology/tree.yml, unshaped links)
  fanout.wan4    w01..w04 behind gw (topology/wan.yml): the controller-gw link
                 has 25 ms each way (50 ms RTT) and 100 mbit

For each run it reports the wall time of the peer's command and the bytes that
crossed the controller->bastion link (tx_bytes + rx_bytes of the root-side veth,
Ethernet headers included), read before the run and after the peer's
connections have closed. A run during which something else used the bastion
(traffic on the link before it, SSH connections already open on the bastion,
or more logins than the peer makes) is discarded and repeated, up to 3 tries;
a run still shared after that is kept in the JSON but left out of the
medians unless no run was clean. The destination is removed (inside the host's
namespace, so off the links) before every run, so every run is a full copy,
and every target's copy is checked against the payload's SHA-256 afterwards.
"""
import argparse
import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from peerlib import (ANSIBLE_DIR, BIN, LABELS, PSSH_RUN, PYINFRA_DIR, BastionWatch, BenchError, Lab, Scratch,
                     ansible_env, fmt_s, log, print_table, run, settle, summarize, write_json, script_main)

DEST = "/tmp/rhizome-peers-payload.bin"
PEERS = ["ansible", "mitogen", "mitogen-via", "pyinfra", "parallel-ssh"]
SCENARIOS = {
    "tree": {"id": "fanout.tree8", "bastion": "bastion1", "group": "branch1",
             "targets": [f"t0{i}" for i in range(1, 9)], "inventory": "tree.ini", "via_inventory": "tree-via.ini",
             "what": "8 targets behind bastion1 (tree)"},
    "wan": {"id": "fanout.wan4", "bastion": "gw", "group": "targets",
            "targets": [f"w0{i}" for i in range(1, 5)], "inventory": "wan.ini", "via_inventory": "wan-via.ini",
            "what": "4 targets behind gw, 50 ms RTT / 100 mbit link (wan)"},
}


def command(peer, topo, scenario, payload, scratch):
    if peer in ("ansible", "mitogen", "mitogen-via"):
        inventory = scenario["via_inventory"] if peer == "mitogen-via" else scenario["inventory"]
        argv = [BIN / "ansible-playbook", "-i", ANSIBLE_DIR / inventory, "-l", scenario["group"],
                "-e", f"payload={payload}", ANSIBLE_DIR / "fanout.yml"]
        return argv, ansible_env(scratch, mitogen=peer != "ansible")
    if peer == "pyinfra":
        env = dict(os.environ, RHIZOME_PEERS_PAYLOAD=str(payload))
        return [BIN / "pyinfra", ",".join(scenario["targets"]),
                "--data", f"ssh_config_file=/run/rhizome-lab/{topo.name}/ssh_config",
                "-y", PYINFRA_DIR / "fanout.py"], env
    if peer == "parallel-ssh":
        return [BIN / "python", PSSH_RUN, "copy", "--proxy", topo.address(scenario["bastion"]), "--timeout", "600",
                ",".join(topo.address(h) for h in scenario["targets"]), payload, DEST], None
    raise ValueError(peer)


def clear(topo, targets):
    for host in targets:
        topo.exec(host, "rm", "-f", DEST)


def verify(topo, targets, digest):
    bad = []
    for host in targets:
        rc, out = topo.exec(host, "sha256sum", DEST)
        if rc != 0 or out.split()[:1] != [digest]:
            bad.append(f"{host}: {out.strip() or 'missing'}")
    return bad


def measure(peer, topo, scenario, payload, digest, runs, timeout, attempts=3):
    """Runs the peer `runs` times. A run during which something else used the
    bastion is discarded and repeated, up to `attempts` tries per run."""
    counter = topo.link_counter(scenario["bastion"])
    watch = BastionWatch(topo, scenario["bastion"])
    targets = scenario["targets"]
    # ProxyJump peers log in to the bastion once per target; mitogen_via once.
    logins_expected = 1 if peer == "mitogen-via" else len(targets)
    times, link_bytes, login_counts, cleans, error, discarded, unclean = [], [], [], [], None, 0, 0
    try:
        for _ in range(runs):
            for attempt in range(1, attempts + 1):
                clear(topo, targets)
                quiet = settle(counter)
                already_open = watch.open_connections()
                watch.mark()
                before = counter()
                try:
                    with Scratch() as scratch:
                        argv, env = command(peer, topo, scenario, payload, scratch)
                        elapsed, _, _ = run([str(a) for a in argv], timeout, env)
                    # Scratch has closed Ansible's control masters; let the FINs pass.
                    settle(counter, quiet_for=0.2, limit=3)
                    crossed = counter() - before
                    logins = watch.logins()
                    bad = verify(topo, targets, digest)
                    if bad:
                        raise BenchError("copy incomplete or wrong on " + "; ".join(bad))
                except BenchError as failure:
                    error = str(failure)
                    log(f"  {peer}: FAILED: {error}")
                    break
                clean = quiet and not already_open and logins <= logins_expected
                if clean or attempt == attempts:
                    break
                discarded += 1
                log(f"  {peer}: run discarded, the {scenario['bastion']} link was shared (idle before: {quiet}, "
                    f"connections already open: {already_open}, logins: {logins}/{logins_expected}); "
                    f"{elapsed:.2f} s, {crossed / 2**20:.1f} MiB")
            if error:
                break
            unclean += not clean
            times.append(elapsed)
            link_bytes.append(crossed)
            login_counts.append(logins)
            cleans.append(clean)
            log(f"  {peer}: run {len(times)}/{runs}: {elapsed:.2f} s, {crossed / 2**20:.1f} MiB over the "
                f"{scenario['bastion']} link" + ("" if clean else " (link was shared: kept after 3 tries)"))
    finally:
        clear(topo, targets)
    # Figures come from the clean runs; from all runs only if none was clean.
    pick = [i for i, c in enumerate(cleans) if c] or list(range(len(times)))
    median_bytes = statistics.median_low([link_bytes[i] for i in pick]) if pick else None
    size = payload.stat().st_size
    return {"peer": peer, "label": LABELS[peer], "runs": len(times), "times_s": [round(t, 4) for t in times],
            "clean": cleans, **summarize([times[i] for i in pick]),
            "link_bytes": link_bytes, "link_bytes_median": median_bytes,
            "bastion_logins": login_counts,
            "copies_over_link": round(median_bytes / size, 2) if median_bytes else None,
            "runs_discarded_shared_link": discarded, "runs_kept_shared_link": unclean,
            "ok": error is None and bool(times), "error": error}


def main():
    parser = argparse.ArgumentParser(prog="bench/peers/fanout", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs per peer and topology (default 3)")
    parser.add_argument("--size-mib", type=int, default=20, help="payload size in MiB (default 20)")
    parser.add_argument("--topologies", default="tree,wan", help="comma-separated: tree, wan (default both)")
    parser.add_argument("--peers", default=None, help="comma-separated subset of: " + ", ".join(PEERS))
    parser.add_argument("--timeout", type=float, default=900, help="limit per command, s (default 900)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    args.runs = max(1, min(args.runs, 50))
    args.size_mib = max(1, min(args.size_mib, 512))
    topologies = [t for t in args.topologies.split(",") if t]
    if set(topologies) - set(SCENARIOS):
        parser.error(f"unknown topology in {args.topologies}; known: {', '.join(SCENARIOS)}")
    peers = args.peers.split(",") if args.peers else PEERS
    if set(peers) - set(PEERS):
        parser.error(f"unknown peer in {args.peers}; known: {', '.join(PEERS)}")

    workdir = Path(tempfile.mkdtemp(prefix="rhizome-peers-fanout-"))
    results = []
    try:
        payload = workdir / "payload.bin"
        with open(payload, "wb") as f:
            for _ in range(args.size_mib):
                f.write(os.urandom(2**20))
        digest = hashlib.sha256(payload.read_bytes()).hexdigest()
        size = payload.stat().st_size
        with Lab(*topologies) as lab:
            for name in topologies:
                scenario = SCENARIOS[name]
                topo = lab[name]
                log(f"{scenario['id']}: {args.size_mib} MiB to {scenario['what']}")
                for peer in peers:
                    result = measure(peer, topo, scenario, payload, digest, args.runs, args.timeout)
                    results.append({"scenario": scenario["id"], "topology": name, "via": scenario["bastion"],
                                    "hosts": scenario["targets"], "payload_bytes": size,
                                    "iface": topo.link_counter(scenario["bastion"]).iface, **result})
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    for name in topologies:
        scenario = SCENARIOS[name]
        rows = []
        for r in (r for r in results if r["scenario"] == scenario["id"]):
            mib = f"{r['link_bytes_median'] / 2**20:.1f}" if r["link_bytes_median"] else "-"
            copies = f"{r['copies_over_link']:.2f}" if r["copies_over_link"] else "-"
            rows.append([r["label"], fmt_s(r["median_s"]) if r["ok"] else "FAILED", fmt_s(r["min_s"]),
                         fmt_s(r["max_s"]), mib, copies,
                         f"{r['runs']}" + (f" ({r['runs_kept_shared_link']} shared)" if r["runs_kept_shared_link"] else "")])
        print_table(f"{scenario['id']}: {args.size_mib} MiB to {scenario['what']}; "
                    f"bytes on the controller-{scenario['bastion']} link",
                    ["peer", "median", "min", "max", "MiB on link", "payload copies", "runs"], rows)
    failures = [r for r in results if not r["ok"]]
    for r in failures:
        print(f"\n{r['scenario']} {r['label']} failed:\n{r['error']}")
    for r in results:
        if r["runs_discarded_shared_link"] or r["runs_kept_shared_link"]:
            print(f"\nnote: {r['label']} ({r['scenario']}): {r['runs_discarded_shared_link']} run(s) discarded and "
                  f"repeated because something else used the {r['via']} link; {r['runs_kept_shared_link']} kept "
                  f"after 3 tries (left out of the figures unless no run was clean).")
    if args.json:
        write_json(args.json, "bench/peers/fanout", results,
                   settings={"runs": args.runs, "size_mib": args.size_mib, "topologies": topologies})
        print(f"\nwrote {args.json}")
    return 1 if failures else 0


if __name__ == "__main__":
    script_main("fanout", main)
