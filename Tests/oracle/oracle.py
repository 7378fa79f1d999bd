#!/usr/bin/env python3
"""Asks ansible-core what it makes of one corpus case, for comparison with Rhizome.

Usage: oracle.py SPEC.json
SPEC holds {"sources": [...], "extraVars": [...], "patterns": [{"pattern": P, "limit": L}], "hosts": [H, ...]}
with absolute paths. Prints one JSON document:
  {"version": "...", "list": TEXT|null, "listError": TEXT|null, "host": {H: TEXT},
   "patterns": [{"pattern": P, "limit": L, "hosts": [...]} | {"pattern": P, "error": TEXT}]}

--list and --host come from the real ansible-inventory command; patterns from
InventoryManager.get_hosts, the code path behind `ansible PATTERN --list-hosts`.
Run it with the venv's python so that the matching ansible-inventory is used.
"""
import json
import os
import subprocess
import sys
import tempfile


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    bindir = os.path.dirname(os.path.abspath(sys.executable))
    workdir = tempfile.mkdtemp(prefix="rhizome-oracle-")
    # A neutral directory and an empty config: no ansible.cfg, no playbook-adjacent group_vars.
    config = os.path.join(workdir, "ansible.cfg")
    open(config, "w").close()
    env = dict(os.environ, ANSIBLE_CONFIG=config, ANSIBLE_HOME=os.path.join(workdir, "home"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=os.path.join(workdir, "tmp"))
    os.environ.update(env)
    os.chdir(workdir)

    args = []
    for source in spec.get("sources", []):
        args += ["-i", source]
    for extra in spec.get("extraVars", []):
        args += ["-e", extra]
    tool = os.path.join(bindir, "ansible-inventory")
    result = {"version": None, "list": None, "listError": None, "host": {}, "patterns": []}
    version = subprocess.run([tool, "--version"], capture_output=True, text=True, env=env)
    result["version"] = version.stdout.split("\n")[0]

    listing = subprocess.run([tool] + args + ["--list"], capture_output=True, text=True, env=env)
    if listing.returncode == 0 and listing.stdout.strip():
        result["list"] = listing.stdout
    else:
        result["listError"] = listing.stderr
    result["listStderr"] = listing.stderr
    for host in spec.get("hosts", []):
        one = subprocess.run([tool] + args + ["--host", host], capture_output=True, text=True, env=env)
        result["host"][host] = one.stdout if one.returncode == 0 else None

    if spec.get("patterns"):
        from ansible.parsing.dataloader import DataLoader
        from ansible.inventory.manager import InventoryManager
        from ansible.errors import AnsibleError
        from ansible import context
        from ansible.module_utils.common.collections import ImmutableDict
        context.CLIARGS = ImmutableDict({})
        manager = InventoryManager(loader=DataLoader(), sources=spec.get("sources", []))
        for entry in spec["patterns"]:
            try:
                manager.subset(entry.get("limit"))
                hosts = [h.name for h in manager.get_hosts(entry["pattern"])]
                result["patterns"].append({"pattern": entry["pattern"], "limit": entry.get("limit"), "hosts": hosts})
            except AnsibleError as error:
                result["patterns"].append({"pattern": entry["pattern"], "limit": entry.get("limit"),
                                           "error": str(error)})
            finally:
                manager.subset(None)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
