#!/usr/bin/env python3
"""The Python half of examples/torch_tensor.ts (which starts it): a tensor that PyTorch allocated
itself, offered to a Deno, Bun or Node script that imports it into Vulkan. NVIDIA only.

    python3 examples/torch_tensor.py ADDRESS

With ``PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True`` (set here before torch is imported),
torch allocates through CUDA's virtual memory management (``cuMemCreate``). The tensor's
allocation is exported as a POSIX fd (``cuMemRetainAllocationHandle``,
``cuMemExportToShareableHandle``) and offered over vkshare's socket (SCM_RIGHTS) with the
tensor's offset inside it; NVIDIA's Vulkan driver imports the fd as OPAQUE_FD. The spec covers
OPAQUE_FD from Vulkan only (KhronosGroup/Vulkan-Docs#1783): this path is NVIDIA's.

PyTorch shares such tensors between its own processes through ``pidfd_getfd``, which needs ptrace
rights over the sender; vkshare's socket needs none. Asked to (``"torchIpc": true`` in the plan),
this also hands the tensor to a child through ``torch.multiprocessing`` and reports what happened.

The script sends ``{"type": "want", "size", "pad", "expandable", "torchIpc", "deviceUUID",
"driverUUID", "deviceName", "memoryTypeIndex"}``: ``pad`` bytes are allocated first, so the tensor (uint8, byte
i = (i * 7 + 3) mod 256) sits inside its allocation. The answer is ``{"type": "tensor", "offset",
"nbytes", "torchIpc"}`` and the offer, or ``{"type": "refused", "rule", "message"}``, or
``{"type": "unavailable", "reason"}``; then Python waits for ``ack``.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import vkshare_peer as vk  # noqa: E402


def main(argv: list) -> int:
    if "-h" in argv or "--help" in argv:
        print(__doc__)
        return 0
    if len(argv) != 1 or argv[0].startswith("-"):
        print(f"torch_tensor.py: expected one ADDRESS, got {argv}\n" + __doc__.split("\n\n")[1],
              file=sys.stderr)
        return 2
    with vk.ShareSocket.connect(argv[0], timeout=30.0) as sock:
        want = sock.expect("want", timeout=30.0).message
        missing = unavailable(want)
        if missing:
            sock.send({"type": "unavailable", "reason": missing})
            return 0
        import torch

        with vk.CudaContext.for_uuid(want["deviceUUID"], want["deviceName"]) as ctx:
            device = f"cuda:{ctx.ordinal}"
            pad = torch.empty(int(want["pad"]), dtype=torch.uint8, device=device)
            tensor = torch.empty(int(want["size"]), dtype=torch.uint8, device=device)
            tensor.copy_((torch.arange(tensor.numel(), device=device) * 7 + 3) % 256)
            torch.cuda.synchronize(ctx.ordinal)  # torch's writes before Vulkan's reads
            torch_ipc = (torch_ipc_outcome(tensor, want.get("consumerUid"))
                         if want.get("torchIpc") else None)
            try:
                export = vk.export_tensor(ctx, tensor, want)
            except vk.ShareError as e:
                sock.send({"type": "refused", "rule": e.rule, "message": str(e),
                           "torchIpc": torch_ipc})
                return 0
            with export:
                sock.send({"type": "tensor", "offset": export.offset, "nbytes": export.nbytes,
                           "torchIpc": torch_ipc})
                vk.send_offer(sock, "a torch tensor", memory=(export.fd, export.descriptor))
            sock.expect("ack", timeout=60.0)
            del pad, tensor
    return 0


def unavailable(want: dict):
    """Why this Python cannot allocate the tensor (no torch, no CUDA GPU), or None. Sets
    PyTorch's allocator first: expandable segments unless the plan says ``"expandable": false``
    (cudaMalloc, whose memory has no shareable handle: the refusal's demonstration)."""
    if want.get("expandable", True):
        os.environ.setdefault("PYTORCH_CUDA_ALLOC_CONF", "expandable_segments:True")
    else:
        os.environ["PYTORCH_CUDA_ALLOC_CONF"] = "expandable_segments:False"
    try:
        import torch
    except ImportError:
        return f"{sys.executable} has no PyTorch"
    if not torch.cuda.is_available():
        return f"PyTorch {torch.__version__} sees no CUDA GPU"
    return vk.cuda_unavailable(want["deviceUUID"], want["deviceName"])


def torch_ipc_outcome(tensor, uid=None) -> str:
    """Hands ``tensor`` to a child through torch.multiprocessing (PyTorch's own CUDA IPC) and
    returns "works" or what the child's rebuild of it raised. With ``uid``, the child runs as
    that user (it drops to it before it receives): a consumer without ptrace rights over this
    process, as in a container or beside another user's producer."""
    import torch.multiprocessing as mp

    spawn = mp.get_context("spawn")
    to_child, from_child = spawn.Queue(), spawn.Queue()
    child = spawn.Process(target=torch_ipc_child, args=(to_child, from_child, uid))
    child.start()
    try:
        to_child.put(tensor)
        outcome = from_child.get(timeout=60)
    except Exception as e:  # noqa: BLE001 (queue.Empty: the child died or hung)
        outcome = ("error", f"no answer from the child within 60 s ({e.__class__.__name__}); "
                   f"its exit code: {child.exitcode}")
    finally:
        child.join(timeout=30)
        if child.is_alive():
            child.kill()
    expected = int(((tensor.to("cpu").long())).sum())
    if outcome[0] == "sum":
        return "works" if outcome[1] == expected else f"wrong sum {outcome[1]}, not {expected}"
    return outcome[1]


def torch_ipc_child(to_child, from_child, uid=None) -> None:
    """torch.multiprocessing's receiving side: rebuild the tensor, sum it (as ``uid``, if given)."""
    try:
        if uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        t = to_child.get(timeout=120)
        from_child.put(("sum", int(t.long().sum())))
    except Exception as e:  # noqa: BLE001 (the outcome is what is reported)
        from_child.put(("error", f"{e.__class__.__name__}: {e}"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
