#!/usr/bin/env python3
"""Records ansible-inventory's --list output as expected-list.json for corpus cases.

Usage: VENV/bin/python3 Tests/oracle/record.py [CASE ...]
Only cases that the oracle is asked about (no "error", "oracle" not false) are recorded.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "RhizomeInventoryTests", "Corpus")


def absolute(case_dir, source):
    path = os.path.join(case_dir, source)
    return source if "," in source and not os.path.exists(path) else path


def main():
    names = sys.argv[1:] or sorted(os.listdir(CORPUS))
    for name in names:
        case_dir = os.path.abspath(os.path.join(CORPUS, name))
        spec_path = os.path.join(case_dir, "case.json")
        if not os.path.exists(spec_path):
            continue
        with open(spec_path) as f:
            spec = json.load(f)
        if spec.get("error") or spec.get("oracle") is False:
            continue
        request = {
            "sources": [absolute(case_dir, s) for s in spec["sources"]],
            "extraVars": ["@" + os.path.join(case_dir, e[1:]) if e.startswith("@") else e
                          for e in spec.get("extraVars", [])],
        }
        request_path = os.path.join(case_dir, ".oracle-request.json")
        with open(request_path, "w") as f:
            json.dump(request, f)
        try:
            answer = json.loads(subprocess.run([sys.executable, os.path.join(HERE, "oracle.py"), request_path],
                                               capture_output=True, text=True, check=True).stdout)
        finally:
            os.remove(request_path)
        if answer["list"] is None:
            print(f"{name}: ansible-inventory failed: {answer['listError']}")
            continue
        with open(os.path.join(case_dir, "expected-list.json"), "w") as f:
            f.write(answer["list"])
        print(f"{name}: recorded ({answer['version']})")


if __name__ == "__main__":
    main()
