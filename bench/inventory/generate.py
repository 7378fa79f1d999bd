#!/usr/bin/env python3
"""Generates a large Ansible inventory for the inventory benchmark.

Usage: generate.py OUTDIR [HOSTS] [GROUPS]   (defaults: 10000 hosts, 500 groups)
Writes OUTDIR/hosts.yml and OUTDIR/hosts.ini describing the same inventory:
regions (parents) with leaf groups (children), variables at every level, one
bastion per region that every host of the region reaches through `via`, and
group_vars/ and host_vars/ files for a sample of groups and hosts.
"""
import os
import sys


def main():
    out = sys.argv[1]
    hosts = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    groups = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    regions = max(1, groups // 25)
    leaves = groups - regions - 1  # one more group for the bastions
    os.makedirs(os.path.join(out, "group_vars"), exist_ok=True)
    os.makedirs(os.path.join(out, "host_vars"), exist_ok=True)

    leaf_hosts = [[] for _ in range(leaves)]
    for h in range(hosts):
        leaf_hosts[h % leaves].append(h)
    leaf_region = [leaf % regions for leaf in range(leaves)]

    yml = ["all:", "  vars:", "    ansible_user: deploy", "    rhizome_known_hosts: /etc/rhizome/known_hosts",
           "  children:", "    bastions:", "      hosts:"]
    for r in range(regions):
        yml += [f"        bastion{r:02d}:", f"          ansible_host: 10.{r}.0.1"]
    for r in range(regions):
        yml += [f"    region{r:02d}:", "      vars:", f"        via: bastion{r:02d}", f"        region: r{r}",
                "      children:"]
        for leaf in range(leaves):
            if leaf_region[leaf] != r:
                continue
            yml += [f"        leaf{leaf:03d}:", "          vars:", f"            leaf_id: {leaf}",
                    "            ansible_port: 22", "          hosts:"]
            for h in leaf_hosts[leaf]:
                yml += [f"            host{h:05d}.example.com:",
                        f"              ansible_host: 10.{leaf_region[leaf]}.{(h // 250) % 250}.{h % 250 + 2}"]
    with open(os.path.join(out, "hosts.yml"), "w") as f:
        f.write("\n".join(yml) + "\n")

    ini = ["[all:vars]", "ansible_user=deploy", "rhizome_known_hosts=/etc/rhizome/known_hosts", "", "[bastions]"]
    ini += [f"bastion{r:02d} ansible_host=10.{r}.0.1" for r in range(regions)]
    for leaf in range(leaves):
        ini += ["", f"[leaf{leaf:03d}]"]
        ini += [f"host{h:05d}.example.com ansible_host=10.{leaf_region[leaf]}.{(h // 250) % 250}.{h % 250 + 2}"
                for h in leaf_hosts[leaf]]
        ini += [f"[leaf{leaf:03d}:vars]", f"leaf_id={leaf}", "ansible_port=22"]
    for r in range(regions):
        ini += ["", f"[region{r:02d}:children]"]
        ini += [f"leaf{leaf:03d}" for leaf in range(leaves) if leaf_region[leaf] == r]
        ini += [f"[region{r:02d}:vars]", f"via=bastion{r:02d}", f"region=r{r}"]
    with open(os.path.join(out, "hosts.ini"), "w") as f:
        f.write("\n".join(ini) + "\n")

    for leaf in range(0, leaves, 10):
        with open(os.path.join(out, "group_vars", f"leaf{leaf:03d}.yml"), "w") as f:
            f.write(f"from_group_vars: {leaf}\n")
    for h in range(0, hosts, 100):
        with open(os.path.join(out, "host_vars", f"host{h:05d}.example.com.yml"), "w") as f:
            f.write(f"from_host_vars: {h}\n")
    print(f"{out}: {hosts} hosts, {regions + leaves + 1} groups ({regions} regions, {leaves} leaves, bastions)")


if __name__ == "__main__":
    main()
