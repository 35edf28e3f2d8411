#!/usr/bin/env python3
"""The Python half of examples/torch_frames.ts (which starts it): frames from a Deno or Bun script,
computed on with PyTorch (y = 2x + 1, float32), checked element by element on the GPU.

    python3 examples/torch_frames.py ADDRESS [--compute torch|numpy]

zero-copy: the offered Vulkan memory and timeline semaphores are imported into CUDA (the device
whose UUID is the Vulkan deviceUUID); the memory becomes a torch tensor without a copy. Each frame
is a wait for ``filled`` = n + 1, a check, y = 2x + 1 in place and a signal of ``done`` = n + 1, all
queued on torch's current stream: the loop never waits on the host, which
``torch.cuda.set_sync_debug_mode("error")`` enforces (any synchronizing call in it raises).

host-copy (the baseline): the frames arrive in a memfd mapped with numpy; each is copied to the
GPU, checked, computed on and copied back (``--compute numpy``: all on the host, for machines
without a GPU).
"""

from __future__ import annotations

import mmap
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import vkshare_peer as vk  # noqa: E402


def usage() -> str:
    return __doc__.split("\n\n")[1] + "\n"


def main(argv: list) -> int:
    if not argv or "-h" in argv or "--help" in argv:
        print(__doc__)
        return 0
    args, compute = list(argv), "torch"
    if "--compute" in args:
        i = args.index("--compute")
        if i + 1 >= len(args) or args[i + 1] not in ("torch", "numpy"):
            print("torch_frames.py: --compute takes torch or numpy\n" + usage(), file=sys.stderr)
            return 2
        compute = args[i + 1]
        del args[i:i + 2]
    if len(args) != 1 or args[0].startswith("-"):
        print(f"torch_frames.py: expected one ADDRESS, got {args}\n" + usage(), file=sys.stderr)
        return 2
    with vk.ShareSocket.connect(args[0], timeout=30.0) as sock:
        plan = sock.expect("plan", timeout=30.0).message
        missing = unavailable(plan, compute)
        if missing:
            sock.send({"type": "unavailable", "reason": missing})
            return 0
        ctx = warm_up(plan) if compute == "torch" else None
        sock.send({"type": "plan-ok"})
        if plan["mode"] == "zero-copy":
            result = zero_copy(sock, plan, ctx)
        else:
            result = host_copy(sock, plan, compute, ctx)
        sock.send({"type": "result", **result})
    return 0


def unavailable(plan: dict, compute: str):
    """Why this Python cannot run the plan (no numpy, no torch, no CUDA GPU), or None."""
    try:
        import numpy  # noqa: F401
    except ImportError:
        if plan["mode"] == "host-copy":
            return f"{sys.executable} has no numpy"
    if compute == "numpy" and plan["mode"] == "host-copy":
        return None
    try:
        import torch
    except ImportError:
        return f"{sys.executable} has no PyTorch"
    if not torch.cuda.is_available():
        return f"PyTorch {torch.__version__} sees no CUDA GPU"
    try:
        vk.CudaContext.for_uuid(plan["deviceUUID"], plan["deviceName"]).close()
    except (OSError, vk.ShareError, vk.CudaError) as e:
        return str(e)
    return None


def warm_up(plan: dict) -> vk.CudaContext:
    """The CUDA context of the plan's GPU, current in torch, before any offer: what an
    application that already uses torch has (the offer's timing then leaves context creation
    out)."""
    import torch

    ctx = vk.CudaContext.for_uuid(plan["deviceUUID"], plan["deviceName"])
    torch.cuda.set_device(ctx.ordinal)
    torch.zeros(1, device=f"cuda:{ctx.ordinal}")
    torch.cuda.synchronize(ctx.ordinal)
    return ctx


def expected_of(torch, idx, n: int, plan: dict):
    """Frame n's x, made on the GPU: (i + n mod shift) mod period, as float32."""
    return ((idx + n % plan["shift"]) % plan["period"]).to(torch.float32)


def zero_copy(sock: vk.ShareSocket, plan: dict, ctx: vk.CudaContext) -> dict:
    import torch

    device = f"cuda:{ctx.ordinal}"
    with vk.receive_offer(sock, timeout=60.0, device_uuid=ctx.device["uuid"],
                          device_name=ctx.label) as offer:
        t0 = time.perf_counter()
        mem_d = offer.memory.descriptor
        memory = ctx.import_memory(offer.memory.fd, mem_d)
        filled = ctx.import_semaphore(offer.semaphores[0].fd, offer.semaphores[0].descriptor)
        done = ctx.import_semaphore(offer.semaphores[1].fd, offer.semaphores[1].descriptor)
        ptr = memory.map()
        ring, size = plan["ring"], plan["size"]
        frames = vk.as_tensor(ptr, ring * size, "float32", owner=memory,
                              device_index=ctx.ordinal).view(ring, size // 4)
        import_ms = (time.perf_counter() - t0) * 1000
    sock.send({"type": "ready", "device": device, "importMs": import_ms})

    stream = torch.cuda.current_stream(ctx.ordinal)
    idx = torch.arange(size // 4, device=device, dtype=torch.int64)
    errors = torch.zeros((), dtype=torch.int64, device=device)
    torch.cuda.synchronize(ctx.ordinal)  # before the loop: the setup is done
    fds_before = fds_after = 0
    torch.cuda.set_sync_debug_mode("error")  # a synchronizing call inside the loop raises
    try:
        for n in range(plan["frames"]):
            x = frames[n % ring]
            filled.wait(n + 1, stream)
            errors += (x != expected_of(torch, idx, n, plan)).sum()
            x.mul_(2).add_(1)
            done.signal(n + 1, stream)
            if n == 0:
                fds_before = len(vk.open_fds())
        fds_after = len(vk.open_fds())
    finally:
        torch.cuda.set_sync_debug_mode("default")
    wrong = int(errors.item())  # the one host wait, after the loop
    torch.cuda.synchronize(ctx.ordinal)
    del frames, x
    filled.close()
    done.close()
    memory.close()
    ctx.close()
    return {"errors": wrong, "device": device, "importMs": import_ms, "fdsBefore": fds_before,
            "fdsAfter": fds_after,
            "sync": "no host synchronisation: torch.cuda.set_sync_debug_mode('error') raised "
                    "nothing; the semaphore waits and signals are queued on torch's stream"}


def host_copy(sock: vk.ShareSocket, plan: dict, compute: str,
              ctx: vk.CudaContext | None) -> dict:
    import numpy as np

    r = sock.expect("host-frames", timeout=60.0)
    with r.fds[0] as fd:
        shared = mmap.mmap(fd.fd, r.message["size"])
    ring, size = plan["ring"], plan["size"]
    frames = np.frombuffer(shared, dtype=np.float32, count=ring * size // 4).reshape(ring, -1)
    if compute == "torch":
        import torch

        device = f"cuda:{ctx.ordinal}"
        idx = torch.arange(size // 4, device=device, dtype=torch.int64)
        errors = torch.zeros((), dtype=torch.int64, device=device)
    else:
        device = "cpu (numpy)"
        base = np.arange(size // 4, dtype=np.int64)
        errors = 0
    sock.send({"type": "ready", "device": device})
    fds_before = 0
    for n in range(plan["frames"]):
        m = sock.expect("frame", timeout=60.0).message
        if m.get("n") != n:
            raise vk.ProtocolError("unexpected", f"expected frame {n}, got {m}")
        host = frames[n % ring]
        if compute == "torch":
            x = torch.from_numpy(host).to(device)  # host → GPU
            errors += (x != expected_of(torch, idx, n, plan)).sum()
            host[:] = (x * 2 + 1).cpu().numpy()  # GPU → host
        else:
            x = ((base + n % plan["shift"]) % plan["period"]).astype(np.float32)
            errors += int(np.count_nonzero(host != x))
            host[:] = host * 2 + 1
        sock.send({"type": "done", "n": n})
        if n == 0:
            fds_before = len(vk.open_fds())
    fds_after = len(vk.open_fds())
    wrong = int(errors.item()) if compute == "torch" else errors
    del frames, host
    shared.close()
    if ctx is not None:
        ctx.close()
    return {"errors": wrong, "device": device, "importMs": None, "fdsBefore": fds_before,
            "fdsAfter": fds_after,
            "sync": "host copies: each frame is copied to the GPU and back (both wait on the host)"
            if compute == "torch" else "numpy on the host (no GPU)"}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
