"""pan-scm-sdk side of the SCM benchmark (driven by scm_bench.rs).

Creates COUNT addresses one after another, as SDK users write it, then pushes and polls the
job every second. Prints one JSON line with the timings.
"""
import json
import sys
import time

from scm.client import ScmClient


def main() -> None:
    base_url, token_url, client_id, secret, tsg, count, prefix, folder = sys.argv[1:9]
    count = int(count)
    started = time.perf_counter()
    client = ScmClient(
        client_id=client_id,
        client_secret=secret,
        tsg_id=tsg,
        api_base_url=base_url,
        token_url=token_url,
    )
    for i in range(count):
        client.address.create(
            {
                "name": f"{prefix}{i}",
                "ip_netmask": f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}/32",
                "description": "benchmark",
                "folder": "Shared",
            }
        )
    created = time.perf_counter()
    push = client.commit(folders=[folder], description="benchmark", sync=False)
    client.wait_for_job(push.job_id, timeout=600, poll_interval=1)
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "create_s": created - started,
                "push_s": done - created,
                "total_s": done - started,
            }
        )
    )


if __name__ == "__main__":
    main()
