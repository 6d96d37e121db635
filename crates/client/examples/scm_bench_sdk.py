"""pan-scm-sdk side of the SCM benchmark (driven by scm_bench.rs).

Creates COUNT addresses with THREADS worker threads sharing one client (32: what a skilled
user writes, the main comparison; 1: one after another, the naive baseline), then pushes and
polls the job every second. Prints one JSON line with the timings.
"""
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from scm.client import ScmClient


def main() -> None:
    base_url, token_url, client_id, secret, tsg, count, prefix, folder, threads = sys.argv[1:10]
    count = int(count)
    threads = int(threads)
    started = time.perf_counter()
    client = ScmClient(
        client_id=client_id,
        client_secret=secret,
        tsg_id=tsg,
        api_base_url=base_url,
        token_url=token_url,
    )
    def create(i):
        return client.address.create(
            {
                "name": f"{prefix}{i}",
                "ip_netmask": f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}/32",
                "description": "benchmark",
                "folder": "Shared",
            }
        )

    if threads <= 1:
        for i in range(count):
            create(i)
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            # list() re-raises the first failure: a failed create fails the run loudly
            list(pool.map(create, range(count)))
    created = time.perf_counter()
    listed = client.address.list(folder="Shared")
    made = sum(1 for a in listed if a.name.startswith(prefix))
    if made != count:
        raise SystemExit(f"expected {count} addresses, the tenant has {made}")
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
