"""parallel-ssh driver for bench/peers: what a user of the library would write.

usage:
  pssh_run.py run  [--proxy ADDR] [--repeat K] ADDR[,ADDR...] -- COMMAND...
  pssh_run.py copy [--proxy ADDR] ADDR[,ADDR...] LOCAL REMOTE

`run` opens one ParallelSSHClient and runs COMMAND on every host K times in a
row (one round waits for every host before the next starts, like a playbook's
tasks). `copy` sends LOCAL with copy_file (SFTP). With --proxy, every host is
reached through an SSH tunnel via that host (parallel-ssh's proxy_host).
Exits 1 if any host fails or a command exits non-zero.
"""
import argparse
import sys

from gevent import joinall
from pssh.clients import ParallelSSHClient

KEY = "/run/rhizome-lab/id_ed25519"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("run", "copy"))
    parser.add_argument("--proxy")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("hosts")
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    hosts = args.hosts.split(",")
    proxy = {}
    if args.proxy:
        proxy = dict(proxy_host=args.proxy, proxy_user="root", proxy_pkey=KEY)
    client = ParallelSSHClient(hosts, user="root", pkey=KEY, num_retries=0,
                               timeout=args.timeout, pool_size=len(hosts), **proxy)
    failed = 0
    if args.mode == "run":
        command = " ".join(a for a in args.rest if a != "--")
        for _ in range(max(1, min(args.repeat, 1000))):
            output = client.run_command(command, stop_on_errors=False)
            client.join(output, timeout=args.timeout)
            for host_output in output:
                for _line in host_output.stdout or ():
                    pass
                if host_output.exception is not None or host_output.exit_code != 0:
                    print(f"{host_output.host}: exit {host_output.exit_code} {host_output.exception!r}",
                          file=sys.stderr)
                    failed += 1
            if failed:
                break
    else:
        local, remote = args.rest
        greenlets = client.copy_file(local, remote)
        joinall(greenlets, raise_error=False, timeout=args.timeout)
        for host, greenlet in zip(hosts, greenlets):
            if not greenlet.successful():
                print(f"{host}: {greenlet.exception!r}", file=sys.stderr)
                failed += 1
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
