#!/usr/bin/env python3
"""The Python half of examples/torch_frames.ts (which starts it): frames from a Deno, Bun or Node
script, computed on with PyTorch, CuPy or JAX (y = 2x + 1, float32), checked element by element on
the GPU.

    python3 examples/torch_frames.py ADDRESS [--compute torch|numpy]

zero-copy: the offered Vulkan memory and timeline semaphores are imported into CUDA (the device
whose UUID is the Vulkan deviceUUID); the memory reaches the plan's consumer without a copy:

- ``torch``, ``cupy``, ``jax``: each frame is a DLPack frame (``vkshare_peer.dlpack_frame``) taken
  with ``from_dlpack``, which has the frame queue its wait for ``filled`` = n + 1 on the
  consumer's stream; then a check, y = 2x + 1 and a signal of ``done`` = n + 1 on that stream.
  torch's loop never waits on the host, which ``torch.cuda.set_sync_debug_mode("error")``
  enforces; CuPy's neither; JAX's arrays are immutable, so its y is copied back into the frame
  after a host wait. After the loop, 10,000 capsules nobody takes show that what they hold is
  freed.
- ``torch-cai``: one torch tensor over the ring through ``__cuda_array_interface__``, made once.

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
        ctx = warm_up(plan) if compute == "torch" or plan["mode"] == "zero-copy" else None
        sock.send({"type": "plan-ok"})
        if plan["mode"] == "zero-copy":
            result = zero_copy(sock, plan, ctx)
        else:
            result = host_copy(sock, plan, compute, ctx)
        sock.send({"type": "result", **result})
    return 0


CONSUMERS = ("torch", "cupy", "jax", "torch-cai")


def unavailable(plan: dict, compute: str):
    """Why this Python cannot run the plan (no numpy, no torch, CuPy or JAX, no CUDA GPU), or
    None."""
    try:
        import numpy  # noqa: F401
    except ImportError:
        if plan["mode"] == "host-copy":
            return f"{sys.executable} has no numpy"
    if compute == "numpy" and plan["mode"] == "host-copy":
        return None
    if plan.get("consumer", "torch-cai") not in CONSUMERS:
        return f"unknown consumer {plan.get('consumer')!r}: expected one of {', '.join(CONSUMERS)}"
    package = consumer_package(plan)
    if package == "jax":
        os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")  # Vulkan needs memory too
    try:
        module = __import__(package)
    except ImportError:
        return f"{sys.executable} has no {PACKAGE_NAMES[package]}"
    if package == "torch" and not module.cuda.is_available():
        return f"PyTorch {module.__version__} sees no CUDA GPU"
    if package == "jax":
        try:
            module.devices("gpu")
        except RuntimeError as e:
            return f"JAX {module.__version__} sees no GPU ({e})"
    return vk.cuda_unavailable(plan["deviceUUID"], plan["deviceName"])


PACKAGE_NAMES = {"torch": "PyTorch", "cupy": "CuPy", "jax": "JAX"}


def consumer_package(plan: dict) -> str:
    """The package the plan's loop computes with: torch for host-copy and torch-cai."""
    consumer = plan.get("consumer", "torch-cai")
    if plan["mode"] == "host-copy" or consumer == "torch-cai":
        return "torch"
    return consumer


def warm_up(plan: dict) -> vk.CudaContext:
    """The CUDA context of the plan's GPU, current in the consumer's package, before any offer:
    what an application that already uses it has (the offer's timing then leaves context
    creation out)."""
    ctx = vk.CudaContext.for_uuid(plan["deviceUUID"], plan["deviceName"])
    package = consumer_package(plan)
    if package == "torch":
        import torch

        torch.cuda.set_device(ctx.ordinal)
        torch.zeros(1, device=f"cuda:{ctx.ordinal}")
        torch.cuda.synchronize(ctx.ordinal)
    elif package == "cupy":
        import cupy

        cupy.cuda.Device(ctx.ordinal).use()
        cupy.zeros(1).sum().item()
    else:
        import jax.numpy as jnp

        jnp.zeros(1, device=jax_device(ctx)).block_until_ready()
    return ctx


def jax_device(ctx: vk.CudaContext):
    """JAX's device for the CUDA ordinal (JAX numbers visible GPUs as CUDA does)."""
    import jax

    return jax.devices("gpu")[ctx.ordinal]


def expected_of(torch, idx, n: int, plan: dict):
    """Frame n's x, made on the GPU: (i + n mod shift) mod period, as float32."""
    return ((idx + n % plan["shift"]) % plan["period"]).to(torch.float32)


class Shared:
    """The offer imported into CUDA: the frames' memory, mapped at ``ptr``, and the ``filled``
    and ``done`` timeline semaphores."""

    def __init__(self, sock: vk.ShareSocket, ctx: vk.CudaContext):
        with vk.receive_offer(sock, timeout=60.0, device_uuid=ctx.device["uuid"],
                              device_name=ctx.label) as offer:
            t0 = time.perf_counter()
            self.memory = ctx.import_memory(offer.memory.fd, offer.memory.descriptor)
            self.filled = ctx.import_semaphore(offer.semaphores[0].fd,
                                               offer.semaphores[0].descriptor)
            self.done = ctx.import_semaphore(offer.semaphores[1].fd,
                                             offer.semaphores[1].descriptor)
            self.ptr = self.memory.map()
            self.t0 = t0

    def frame(self, n: int, plan: dict, ordinal: int) -> vk.dlpack_frame:
        """Frame n's slot as a DLPack frame whose readiness is ``filled`` = n + 1."""
        at = self.ptr + (n % plan["ring"]) * plan["size"]
        return vk.dlpack_frame(at, (plan["size"] // 4,), "float32", device=(vk.kDLCUDA, ordinal),
                               owner=self.memory, ready=(self.filled, n + 1))

    def close(self) -> None:
        self.filled.close()
        self.done.close()
        self.memory.close()


def zero_copy(sock: vk.ShareSocket, plan: dict, ctx: vk.CudaContext) -> dict:
    consumer = plan.get("consumer", "torch-cai")
    shared = Shared(sock, ctx)
    loop = {"torch-cai": loop_cai, "torch": loop_torch, "cupy": loop_cupy, "jax": loop_jax}
    prepared = loop[consumer](shared, plan, ctx)  # what it needs before the first frame
    import_ms = (time.perf_counter() - shared.t0) * 1000
    sock.send({"type": "ready", "device": f"cuda:{ctx.ordinal}", "importMs": import_ms})
    result = prepared()
    result["unconsumed"] = unconsumed_capsules(shared, plan, ctx)
    shared.close()
    ctx.close()
    return {"importMs": import_ms, "device": f"cuda:{ctx.ordinal}", "consumer": consumer,
            **result}


def tally(n: int, plan: dict, fds: dict) -> None:
    """Counts this process's fds after the first frame and after the last."""
    if n == 0:
        fds["before"] = len(vk.open_fds())
    if n == plan["frames"] - 1:
        fds["after"] = len(vk.open_fds())


def loop_cai(shared: Shared, plan: dict, ctx: vk.CudaContext):
    """torch through ``__cuda_array_interface__``: one tensor over the ring, made once; each
    frame's wait is queued on torch's stream by hand."""
    ring, size = plan["ring"], plan["size"]
    frames = vk.as_tensor(shared.ptr, ring * size, "float32", owner=shared.memory,
                          device_index=ctx.ordinal).view(ring, size // 4)

    def take(n: int, stream) -> tuple:
        shared.filled.wait(n + 1, stream)
        return frames[n % ring], True
    return torch_loop(shared, plan, ctx, take,
                      "the semaphore waits and signals are queued on torch's stream")


def loop_torch(shared: Shared, plan: dict, ctx: vk.CudaContext):
    """torch.from_dlpack of each frame: the frame queues its wait on torch's current stream."""
    import torch

    def take(n: int, stream) -> tuple:
        f = shared.frame(n, plan, ctx.ordinal)
        x = torch.from_dlpack(f)  # queues the wait for filled = n + 1 on `stream`
        return x, x.data_ptr() == f.ptr
    return torch_loop(shared, plan, ctx, take, "torch.from_dlpack had each frame queue its wait "
                      "on torch's stream, and the signals follow on it")


def torch_loop(shared: Shared, plan: dict, ctx: vk.CudaContext, take, how: str):
    """The torch frame loop: ``take(n, stream)`` gives frame n's tensor (its wait queued) and
    whether it is at the imported pointer; then a check, y = 2x + 1 in place and the signal, all
    on torch's stream, with any host synchronization raising."""
    import torch

    idx = torch.arange(plan["size"] // 4, device=f"cuda:{ctx.ordinal}", dtype=torch.int64)

    def run() -> dict:
        stream = torch.cuda.current_stream(ctx.ordinal)
        errors = torch.zeros((), dtype=torch.int64, device=idx.device)
        torch.cuda.synchronize(ctx.ordinal)  # before the loop: the setup is done
        fds: dict = {}
        same = 0
        torch.cuda.set_sync_debug_mode("error")  # a synchronizing call inside the loop raises
        try:
            for n in range(plan["frames"]):
                x, at_pointer = take(n, stream)
                same += at_pointer
                errors += (x != expected_of(torch, idx, n, plan)).sum()
                x.mul_(2).add_(1)
                shared.done.signal(n + 1, stream)
                tally(n, plan, fds)
        finally:
            torch.cuda.set_sync_debug_mode("default")
        wrong = int(errors.item())  # the one host wait, after the loop
        torch.cuda.synchronize(ctx.ordinal)
        return {"errors": wrong, "samePointer": same, "fdsBefore": fds["before"],
                "fdsAfter": fds["after"],
                "sync": "no host synchronisation: torch.cuda.set_sync_debug_mode('error') raised "
                        f"nothing; {how}"}
    return run


def loop_cupy(shared: Shared, plan: dict, ctx: vk.CudaContext):
    """cupy.from_dlpack of each frame: the wait is queued on CuPy's current stream."""
    import cupy

    idx = cupy.arange(plan["size"] // 4, dtype=cupy.int64)
    period, shift = plan["period"], plan["shift"]

    def run() -> dict:
        stream = cupy.cuda.get_current_stream()
        errors = cupy.zeros((), dtype=cupy.int64)
        stream.synchronize()
        fds: dict = {}
        same = 0
        for n in range(plan["frames"]):
            f = shared.frame(n, plan, ctx.ordinal)
            x = cupy.from_dlpack(f)
            same += x.data.ptr == f.ptr
            errors += (x != ((idx + n % shift) % period).astype(cupy.float32)).sum()
            x *= 2
            x += 1
            shared.done.signal(n + 1, stream.ptr)
            tally(n, plan, fds)
        wrong = int(errors.item())
        stream.synchronize()
        return {"errors": wrong, "samePointer": same, "fdsBefore": fds["before"],
                "fdsAfter": fds["after"],
                "sync": "no host synchronisation in the loop: cupy.from_dlpack had each frame "
                        "queue its wait on CuPy's stream, and the signals follow on it"}
    return run


def loop_jax(shared: Shared, plan: dict, ctx: vk.CudaContext):
    """jax.numpy.from_dlpack of each frame (the wait queued on the stream JAX names). JAX
    arrays are immutable: y = 2x + 1 is a new array, copied into the frame (cuMemcpyDtoDAsync)
    once it is ready, which is a host wait per frame."""
    import collections

    import jax
    import jax.numpy as jnp

    device = jax_device(ctx)
    idx = jnp.arange(plan["size"] // 4, dtype=jnp.int32, device=device)
    period, shift = plan["period"], plan["shift"]
    check = jax.jit(lambda x, e, k, i: (e + jnp.sum(x != ((i + k) % period).astype(jnp.float32)),
                                        x * 2 + 1))
    kept: collections.deque = collections.deque(maxlen=plan["ring"] + 1)  # copies in flight

    def run() -> dict:
        errors = jnp.zeros((), dtype=jnp.int32, device=device)
        fds: dict = {}
        same = 0
        for n in range(plan["frames"]):
            f = shared.frame(n, plan, ctx.ordinal)
            x = jnp.from_dlpack(f)
            same += x.unsafe_buffer_pointer() == f.ptr
            errors, y = check(x, errors, n % shift, idx)
            y.block_until_ready()  # the host wait: y must exist before it is copied back
            del x
            kept.append(y)  # alive until its copy is surely done (ring + 1 frames later)
            ctx.run(lambda lib: ctx.cuda.check(lib.cuMemcpyDtoDAsync_v2(
                f.ptr, y.unsafe_buffer_pointer(), plan["size"], None), "cuMemcpyDtoDAsync_v2"))
            shared.done.signal(n + 1, None)
            tally(n, plan, fds)
        wrong = int(errors)
        ctx.run(lambda lib: ctx.cuda.check(lib.cuCtxSynchronize(), "cuCtxSynchronize"))
        return {"errors": wrong, "samePointer": same, "fdsBefore": fds["before"],
                "fdsAfter": fds["after"],
                "sync": "a host wait per frame: JAX arrays are immutable, so each y = 2x + 1 is "
                        "a new array, copied back into the frame once it is ready; the wait for "
                        "the frame itself is queued on JAX's stream by jax.numpy.from_dlpack"}
    return run


def unconsumed_capsules(shared: Shared, plan: dict, ctx: vk.CudaContext) -> dict:
    """10,000 capsules of frame 0 that no consumer takes: what they hold is freed with them."""
    import gc

    def counts() -> tuple:
        gc.collect()
        return (vk.dlpack_counts()["live"], len(vk.open_fds()), vk.import_counts(),
                sys.getrefcount(shared.memory))
    before = counts()
    f = shared.frame(0, plan, ctx.ordinal)
    for i in range(10_000):
        f.__dlpack__(stream=-1, max_version=(1, 0) if i % 2 else None)
    del f
    after = counts()
    keys = ("liveCapsules", "fds", "imports", "memoryReferences")
    return {"count": 10_000, "before": dict(zip(keys, before)), "after": dict(zip(keys, after))}


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
