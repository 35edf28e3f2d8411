/**
 * A tensor that PyTorch allocated itself, read by Vulkan in another process: the script's half
 * (the Python half is `examples/torch_tensor.py`, which this starts). NVIDIA only.
 *
 *     deno run -A examples/torch_tensor.ts [--size 4194304] [--pad 2097664] [--torch-ipc]
 *                                          [--consumer-uid UID]
 *
 * Python allocates a uint8 tensor with PyTorch's expandable segments (CUDA's virtual memory
 * management), fills it (byte i = (i * 7 + 3) mod 256), exports the CUDA allocation that holds it
 * as a POSIX fd and offers it over a share socket with the tensor's offset inside it. The script
 * imports the fd into Vulkan as OPAQUE_FD, binds a buffer at that offset, copies it to
 * host-visible memory with a Vulkan copy and checks every byte.
 *
 * - This is NVIDIA's path: the Vulkan spec covers OPAQUE_FD from Vulkan only
 *   (KhronosGroup/Vulkan-Docs#1783), and NVIDIA's driver imports CUDA's too.
 * - The socket passes the fd with SCM_RIGHTS, so no ptrace rights are needed. PyTorch's own
 *   sharing of such tensors (torch.multiprocessing) takes the fds with pidfd_getfd, which a
 *   container or a restricted ptrace_scope refuses: `--torch-ipc` tries it too, and says what
 *   happened. `--consumer-uid UID` (root) runs both consumers as another user, without ptrace
 *   rights over the producer: torch's child, and this script once Python has started.
 * - A tensor that runs past its allocation (more than one expandable segment: 20 MiB) is refused
 *   by rule SPANS_ALLOCATIONS, which the script reports.
 *
 * Where there is no PyTorch with a CUDA GPU, it says so and exits with 77 (skipped).
 *
 * @module
 */
// @ts-types="../cli/_node/child_process.d.ts"
import { spawn, spawnSync } from "node:child_process";

import { parseCli } from "../cli/_args.ts";
import { errno } from "../ffi/libc.ts";
import { libcSocket } from "../ffi/libc_socket.ts";
import { ErrnoError, receiveOffer, ShareServer } from "../ipc/mod.ts";
import { Device, DeviceMemory, GpuBuffer, type PhysicalDevice, Transfer } from "../mod.ts";
import { openGpu } from "./_setup.ts";
import { TorchUnavailable } from "./torch_frames.ts";

export { TorchUnavailable };

/** Options of {@linkcode runTorchTensor}. */
export interface TorchTensorOptions {
  /** The tensor's bytes (default 4 MiB). */
  size?: number;
  /** Bytes torch allocates first, so that the tensor sits inside its allocation (default 2 MiB + 512). */
  pad?: number;
  /**
   * PyTorch's allocator: expandable segments (default true), or cudaMalloc (false), whose memory
   * has no shareable handle and is refused by rule NOT_CUDA_VMM. A PYTORCH_CUDA_ALLOC_CONF in the
   * environment wins over true.
   */
  expandable?: boolean;
  /** Also hand the tensor to a child through torch.multiprocessing, and report the outcome. */
  torchIpc?: boolean;
  /**
   * Run both consumers as this user (root only): torch.multiprocessing's child drops to it, and
   * so does this script once Python has started, before it takes the tensor's fd. Neither then
   * has ptrace rights over the producer (root).
   */
  consumerUid?: number;
  /** The Python interpreter (default `python3`). */
  python?: string;
  /** How long any one wait may take, in ms (default 60,000). */
  timeoutMs?: number;
}

/** What a run saw. */
export interface TorchTensorResult {
  /** The tensor's offset inside the CUDA allocation. */
  offset: number;
  /** The tensor's bytes, every one checked. */
  nbytes: number;
  /** The allocation's bytes (the offer's size). */
  allocationSize: number;
  /** From the offer's arrival to the bytes checked: import, bind, copy, check (ms). */
  importAndReadMs: number;
  /** torch.multiprocessing's outcome: "works", what it raised, or null when not asked. */
  torchIpc: string | null;
}

/** Python refused to export the tensor, by `rule` (SPANS_ALLOCATIONS, NOT_CUDA_VMM, …). */
export class TensorRefused extends Error {
  /** The rule Python named. */
  readonly rule: string;
  /** torch.multiprocessing's outcome, when it was asked for. */
  readonly torchIpc: string | null;
  /** Says Python's message. */
  constructor(rule: string, message: string, torchIpc: string | null) {
    super(`${rule}: ${message}`);
    this.rule = rule;
    this.torchIpc = torchIpc;
  }
}

/** The device-local memory type an OPAQUE_FD buffer of `size` bytes can import into. */
function importType(device: Device, pd: PhysicalDevice, size: number): number {
  using probe = GpuBuffer.create(device, { size, external: "OPAQUE_FD" });
  const bits = probe.requirements.memoryTypeBits;
  const t = pd.memoryTypes.find((t) => (bits & (1 << t.index)) && t.flags.includes("DEVICE_LOCAL"));
  if (!t) throw new Error(`${pd.name} has no DEVICE_LOCAL memory type for an OPAQUE_FD buffer`);
  return t.index;
}

/** The index of the first byte that is not (i * 7 + 3) mod 256, or -1. */
export function firstWrongByte(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== (i * 7 + 3) % 256) return i;
  return -1;
}

/**
 * Starts the Python half, asks for a tensor, imports its allocation into Vulkan at the tensor's
 * offset and checks every byte. Throws {@linkcode TorchUnavailable} where Python has no torch
 * with a CUDA GPU, {@linkcode TensorRefused} when Python refuses the tensor by rule.
 */
export async function runTorchTensor(
  device: Device,
  options: TorchTensorOptions = {},
): Promise<TorchTensorResult> {
  const size = options.size ?? 4 << 20;
  const pad = options.pad ?? (2 << 20) + 512;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const python = options.python ?? "python3";
  if (!Number.isSafeInteger(size) || size <= 0) {
    throw new RangeError(`size: bytes > 0, got ${size}`);
  }
  if (!Number.isSafeInteger(pad) || pad < 0) throw new RangeError(`pad: bytes ≥ 0, got ${pad}`);
  if (spawnSync(python, ["--version"]).status !== 0) throw new TorchUnavailable(`no ${python}`);
  const pd = device.physicalDevice;
  const memoryTypeIndex = importType(device, pd, size);
  // An abstract address when this script becomes another user: nothing on disk for root to
  // have made and that user to remove.
  const at = options.consumerUid === undefined ? undefined : `vkshare-torch-${process.pid}`;
  // Python stays this script's user now (root) after the script becomes another.
  const python0 = [libcSocket().getuid()];
  using server = ShareServer.listen(at ? { at: { abstract: at }, allowUids: python0 } : {});
  const script = new URL("./torch_tensor.py", import.meta.url).pathname;
  const child = spawn(python, [script, at ? `@${at}` : server.address as string], {
    stdio: ["ignore", "inherit", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (b: Uint8Array) => (stderr += new TextDecoder().decode(b)));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  try {
    if (options.consumerUid !== undefined) becomeUser(options.consumerUid);
    using socket = await server.accept({ timeoutMs });
    await socket.send({
      type: "want",
      size,
      pad,
      expandable: options.expandable ?? true,
      torchIpc: options.torchIpc ?? false,
      consumerUid: options.consumerUid ?? null,
      deviceUUID: pd.deviceUUID,
      driverUUID: pd.driverUUID,
      deviceName: pd.name,
      memoryTypeIndex,
    });
    const answer = (await socket.receive({ timeoutMs: timeoutMs * 3 })).message as Record<
      string,
      unknown
    >;
    const torchIpc = (answer?.torchIpc as string | null | undefined) ?? null;
    if (answer?.type === "unavailable") throw new TorchUnavailable(String(answer.reason));
    if (answer?.type === "refused") {
      throw new TensorRefused(String(answer.rule), String(answer.message), torchIpc);
    }
    if (answer?.type !== "tensor") {
      throw new Error(`torch_tensor.py answered the want with ${JSON.stringify(answer)}`);
    }
    const offset = answer.offset as number;
    const nbytes = answer.nbytes as number;
    const t0 = performance.now();
    let allocationSize: number;
    {
      using offer = await receiveOffer(socket, { timeoutMs, device });
      allocationSize = offer.memory!.descriptor.size;
      using memory = DeviceMemory.importFd(device, offer.memory!.fd, offer.memory!.descriptor);
      using buffer = GpuBuffer.create(device, { size: nbytes, external: "OPAQUE_FD" });
      // The tensor's offset: Vulkan's bind checks it against the buffer's alignment.
      buffer.bind(memory, offset);
      using t = Transfer.create(device);
      const wrong = firstWrongByte(t.read(buffer));
      if (wrong >= 0) throw new Error(`byte ${wrong} of the tensor is not (i * 7 + 3) mod 256`);
    }
    const importAndReadMs = performance.now() - t0;
    await socket.send({ type: "ack" });
    const code = await exited;
    if (code !== 0) throw new Error(`torch_tensor.py exited with ${code}:\n${stderr.trim()}`);
    return { offset, nbytes, allocationSize, importAndReadMs, torchIpc };
  } catch (e) {
    if (!(e instanceof TorchUnavailable || e instanceof TensorRefused)) {
      child.kill("SIGKILL");
      if (stderr) (e as Error).message += `\nPython said:\n${stderr.trim()}`;
    }
    await exited;
    throw e;
  }
}

/** Drops this process to `uid` (and its gid, no groups): it keeps its open fds and device. */
function becomeUser(uid: number): void {
  const c = libcSocket();
  if (c.setgroups(0n, null) !== 0 || c.setgid(uid) !== 0 || c.setuid(uid) !== 0) {
    throw new ErrnoError("setuid", errno(), `becoming uid ${uid} (root only)`);
  }
}

if (import.meta.main) {
  const cli = parseCli({
    name: "examples/torch_tensor.ts",
    summary:
      "A tensor PyTorch allocated itself (expandable segments: CUDA VMM), exported by Python as an\nfd with its offset, passed over a share socket and read by Vulkan byte for byte. NVIDIA only.",
    flags: {
      size: {
        type: "string",
        value: "BYTES",
        description: "the tensor's bytes",
        default: "4194304",
      },
      pad: {
        type: "string",
        value: "BYTES",
        description: "bytes torch allocates before the tensor",
        default: String((2 << 20) + 512),
      },
      "torch-ipc": {
        type: "boolean",
        description: "also hand the tensor to a child through torch.multiprocessing",
      },
      python: {
        type: "string",
        value: "CMD",
        description: "the Python interpreter",
        default: "python3",
      },
      "consumer-uid": {
        type: "string",
        value: "UID",
        description: "root only: both consumers run as UID (no ptrace rights over Python)",
      },
    },
  });
  const size = cli.bytes("size", { min: 1, max: 2 ** 40 });
  const pad = cli.bytes("pad", { min: 0, max: 2 ** 40 });
  const python = cli.string("python")!;
  const asUser = cli.string("consumer-uid") === undefined
    ? undefined
    : cli.int("consumer-uid", { min: 1, max: 2 ** 31 - 1 });
  if (asUser !== undefined && libcSocket().getuid() !== 0) {
    cli.fail("--consumer-uid: only root can run the consumers as another user");
  }
  using gpu = openGpu("vkshare torch_tensor");
  using device = Device.create(gpu.pd);
  try {
    const torchIpc = cli.flag("torch-ipc");
    const r = await runTorchTensor(device, { size, pad, python, torchIpc, consumerUid: asUser });
    console.log(
      `a ${r.nbytes}-byte torch tensor at offset ${r.offset} of its ${r.allocationSize}-byte CUDA allocation: imported into Vulkan, copied and checked in ${
        r.importAndReadMs.toFixed(3)
      } ms (NVIDIA's CUDA VMM → Vulkan OPAQUE_FD path)`,
    );
    if (r.torchIpc !== null) {
      console.log(`torch.multiprocessing with the same tensor: ${r.torchIpc}`);
    }
  } catch (e) {
    if (e instanceof TorchUnavailable) cli.skip(e.reason);
    if (e instanceof TensorRefused && e.torchIpc !== null) {
      console.log(`torch.multiprocessing with the same tensor: ${e.torchIpc}`);
    }
    throw e; // TensorRefused names Python's rule (exit 1)
  }
}
