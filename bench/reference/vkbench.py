#!/usr/bin/env python3
"""The Python reference of vkshare's benchmarks: what a Python script without packages does to
make the same Vulkan calls as bench/reference/vkbench.c, through the standard library's ctypes
(PyPI's `vulkan` package is out of reach here, and a script user prototyping interop would reach
for ctypes first, as vkshare's Python peer does for libcuda).

    python3 bench/reference/vkbench.py <op> <size> <iterations> [batch]
    python3 bench/reference/vkbench.py --layouts   # its structs' sizes and offsets, as JSON

The same command line, the same timed spans and the same JSON line as vkbench.c:
    {"op": "...", "size": N, "cold_ns": N, "warm_ns": [N, ...]}  or  {"op": "...", "unsupported": "why"}
Ops: query, mem.alloc, mem.free, mem.export, mem.import, mem.map, sem.*/tsem.* (create, export,
import), fence.* (create, export, import), timeline.signal_wait and handoff (vkbench.c's: a forked
consumer with its own devices, the same packets over a SOCK_SEQPACKET pair, each side's phases on
stderr); any other is "unsupported".
Each struct is built in the timed span, as the C reference builds its own on the stack.
"""
import array
import ctypes as C
import os
import re
import socket
import struct as S
import sys
import time

vk = C.CDLL(os.environ.get("VKSHARE_LIBVULKAN") or "libvulkan.so.1")
libc = C.CDLL(None)

# Handles: dispatchable ones are pointers, the others 64-bit integers.
Handle, Nd = C.c_void_p, C.c_uint64
u32, u64, i32, ptr = C.c_uint32, C.c_uint64, C.c_int32, C.c_void_p

OPAQUE_FD = 0x1  # the OPAQUE_FD bit of memory, semaphore and fence handle types alike
ST = dict(  # VkStructureType values (vulkan_core.h)
    APPLICATION_INFO=0, INSTANCE_CREATE_INFO=1, DEVICE_QUEUE_CREATE_INFO=2, DEVICE_CREATE_INFO=3,
    MEMORY_ALLOCATE_INFO=5, FENCE_CREATE_INFO=8, SEMAPHORE_CREATE_INFO=9,
    PHYSICAL_DEVICE_FEATURES_2=1000059000, PHYSICAL_DEVICE_PROPERTIES_2=1000059001,
    PHYSICAL_DEVICE_EXTERNAL_BUFFER_INFO=1000071002, EXTERNAL_BUFFER_PROPERTIES=1000071003,
    PHYSICAL_DEVICE_ID_PROPERTIES=1000071004, EXPORT_MEMORY_ALLOCATE_INFO=1000072002,
    IMPORT_MEMORY_FD_INFO_KHR=1000074000, MEMORY_GET_FD_INFO_KHR=1000074002,
    EXPORT_SEMAPHORE_CREATE_INFO=1000077000, IMPORT_SEMAPHORE_FD_INFO_KHR=1000079000,
    SEMAPHORE_GET_FD_INFO_KHR=1000079001, EXPORT_FENCE_CREATE_INFO=1000113000,
    IMPORT_FENCE_FD_INFO_KHR=1000115000, FENCE_GET_FD_INFO_KHR=1000115001,
    PHYSICAL_DEVICE_TIMELINE_SEMAPHORE_FEATURES=1000207000, SEMAPHORE_TYPE_CREATE_INFO=1000207002,
    SEMAPHORE_WAIT_INFO=1000207004, SEMAPHORE_SIGNAL_INFO=1000207005,
)


def struct(name, *fields):
    """A Vulkan struct: sType and pNext, then `fields` (name, ctypes type) pairs."""
    return type(name, (C.Structure,), {"_fields_": [("sType", i32), ("pNext", ptr), *fields]})


AppInfo = struct("VkApplicationInfo", ("pApplicationName", C.c_char_p), ("applicationVersion", u32),
                 ("pEngineName", C.c_char_p), ("engineVersion", u32), ("apiVersion", u32))
InstanceInfo = struct("VkInstanceCreateInfo", ("flags", u32), ("pApplicationInfo", C.POINTER(AppInfo)),
                      ("enabledLayerCount", u32), ("ppEnabledLayerNames", ptr),
                      ("enabledExtensionCount", u32), ("ppEnabledExtensionNames", ptr))
QueueInfo = struct("VkDeviceQueueCreateInfo", ("flags", u32), ("queueFamilyIndex", u32),
                   ("queueCount", u32), ("pQueuePriorities", C.POINTER(C.c_float)))
DeviceInfo = struct("VkDeviceCreateInfo", ("flags", u32), ("queueCreateInfoCount", u32),
                    ("pQueueCreateInfos", C.POINTER(QueueInfo)), ("enabledLayerCount", u32),
                    ("ppEnabledLayerNames", ptr), ("enabledExtensionCount", u32),
                    ("ppEnabledExtensionNames", C.POINTER(C.c_char_p)), ("pEnabledFeatures", ptr))
IdProps = struct("VkPhysicalDeviceIDProperties", ("deviceUUID", C.c_uint8 * 16),
                 ("driverUUID", C.c_uint8 * 16), ("deviceLUID", C.c_uint8 * 8),
                 ("deviceNodeMask", u32), ("deviceLUIDValid", u32))
TimelineFeatures = struct("VkPhysicalDeviceTimelineSemaphoreFeatures", ("timelineSemaphore", u32))
ExtensionProps = type("VkExtensionProperties", (C.Structure,),
                      {"_fields_": [("extensionName", C.c_char * 256), ("specVersion", u32)]})
MemoryType = type("VkMemoryType", (C.Structure,), {"_fields_": [("propertyFlags", u32), ("heapIndex", u32)]})
MemoryHeap = type("VkMemoryHeap", (C.Structure,), {"_fields_": [("size", u64), ("flags", u32)]})
MemoryProps = type("VkPhysicalDeviceMemoryProperties", (C.Structure,), {"_fields_": [
    ("memoryTypeCount", u32), ("memoryTypes", MemoryType * 32),
    ("memoryHeapCount", u32), ("memoryHeaps", MemoryHeap * 16)]})
AllocInfo = struct("VkMemoryAllocateInfo", ("allocationSize", u64), ("memoryTypeIndex", u32))
ExportMemory = struct("VkExportMemoryAllocateInfo", ("handleTypes", u32))
ImportMemoryFd = struct("VkImportMemoryFdInfoKHR", ("handleType", u32), ("fd", C.c_int))
MemoryGetFd = struct("VkMemoryGetFdInfoKHR", ("memory", Nd), ("handleType", u32))
SemaphoreInfo = struct("VkSemaphoreCreateInfo", ("flags", u32))
SemaphoreType = struct("VkSemaphoreTypeCreateInfo", ("semaphoreType", u32), ("initialValue", u64))
ExportSemaphore = struct("VkExportSemaphoreCreateInfo", ("handleTypes", u32))
SemaphoreGetFd = struct("VkSemaphoreGetFdInfoKHR", ("semaphore", Nd), ("handleType", u32))
ImportSemaphoreFd = struct("VkImportSemaphoreFdInfoKHR", ("semaphore", Nd), ("flags", u32),
                           ("handleType", u32), ("fd", C.c_int))
FenceInfo = struct("VkFenceCreateInfo", ("flags", u32))
ExportFence = struct("VkExportFenceCreateInfo", ("handleTypes", u32))
FenceGetFd = struct("VkFenceGetFdInfoKHR", ("fence", Nd), ("handleType", u32))
ImportFenceFd = struct("VkImportFenceFdInfoKHR", ("fence", Nd), ("flags", u32), ("handleType", u32),
                       ("fd", C.c_int))
SignalInfo = struct("VkSemaphoreSignalInfo", ("semaphore", Nd), ("value", u64))
WaitInfo = struct("VkSemaphoreWaitInfo", ("flags", u32), ("semaphoreCount", u32),
                  ("pSemaphores", C.POINTER(Nd)), ("pValues", C.POINTER(u64)))
BufferInfo = struct("VkPhysicalDeviceExternalBufferInfo", ("flags", u32), ("usage", u32), ("handleType", u32))
MemoryFeatures = type("VkExternalMemoryProperties", (C.Structure,), {"_fields_": [
    ("externalMemoryFeatures", u32), ("exportFromImportedHandleTypes", u32),
    ("compatibleHandleTypes", u32)]})
BufferProps = struct("VkExternalBufferProperties", ("externalMemoryProperties", MemoryFeatures))

P = C.POINTER


def declare(lib, name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype, f.argtypes = restype, list(argtypes)
    return f


vkCreateInstance = declare(vk, "vkCreateInstance", i32, P(InstanceInfo), ptr, P(Handle))
vkEnumeratePhysicalDevices = declare(vk, "vkEnumeratePhysicalDevices", i32, Handle, P(u32), P(Handle))
vkGetPhysicalDeviceProperties2 = declare(vk, "vkGetPhysicalDeviceProperties2", None, Handle, ptr)
vkGetPhysicalDeviceFeatures2 = declare(vk, "vkGetPhysicalDeviceFeatures2", None, Handle, ptr)
vkGetPhysicalDeviceMemoryProperties = declare(vk, "vkGetPhysicalDeviceMemoryProperties", None, Handle,
                                              P(MemoryProps))
vkEnumerateDeviceExtensionProperties = declare(vk, "vkEnumerateDeviceExtensionProperties", i32, Handle,
                                               C.c_char_p, P(u32), P(ExtensionProps))
vkGetPhysicalDeviceExternalBufferProperties = declare(
    vk, "vkGetPhysicalDeviceExternalBufferProperties", None, Handle, P(BufferInfo), P(BufferProps))
vkCreateDevice = declare(vk, "vkCreateDevice", i32, Handle, P(DeviceInfo), ptr, P(Handle))
vkGetDeviceProcAddr = declare(vk, "vkGetDeviceProcAddr", ptr, Handle, C.c_char_p)
vkAllocateMemory = declare(vk, "vkAllocateMemory", i32, Handle, P(AllocInfo), ptr, P(Nd))
vkFreeMemory = declare(vk, "vkFreeMemory", None, Handle, Nd, ptr)
vkMapMemory = declare(vk, "vkMapMemory", i32, Handle, Nd, u64, u64, u32, P(ptr))
vkUnmapMemory = declare(vk, "vkUnmapMemory", None, Handle, Nd)
vkCreateSemaphore = declare(vk, "vkCreateSemaphore", i32, Handle, P(SemaphoreInfo), ptr, P(Nd))
vkDestroySemaphore = declare(vk, "vkDestroySemaphore", None, Handle, Nd, ptr)
vkCreateFence = declare(vk, "vkCreateFence", i32, Handle, P(FenceInfo), ptr, P(Nd))
vkDestroyFence = declare(vk, "vkDestroyFence", None, Handle, Nd, ptr)
vkSignalSemaphore = declare(vk, "vkSignalSemaphore", i32, Handle, P(SignalInfo))
vkWaitSemaphores = declare(vk, "vkWaitSemaphores", i32, Handle, P(WaitInfo), u64)
close = declare(libc, "close", C.c_int, C.c_int)

EXT_FNS = {  # the extension commands, through vkGetDeviceProcAddr
    "vkGetMemoryFdKHR": (Handle, P(MemoryGetFd), P(C.c_int)),
    "vkGetSemaphoreFdKHR": (Handle, P(SemaphoreGetFd), P(C.c_int)),
    "vkImportSemaphoreFdKHR": (Handle, P(ImportSemaphoreFd)),
    "vkGetFenceFdKHR": (Handle, P(FenceGetFd), P(C.c_int)),
    "vkImportFenceFdKHR": (Handle, P(ImportFenceFd)),
}


def check(r, what):
    if r != 0:
        sys.exit(f"vkbench.py: {what} failed: {r}")


def uuid_text(u):
    h = bytes(u).hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Bench:
    """The instance, the physical device (by $VKBENCH_DEVICE_UUID, else the first) and two devices."""

    def __init__(self):
        app = AppInfo(ST["APPLICATION_INFO"], None, b"vkbench.py", 0, None, 0, (1 << 22) | (2 << 12))
        ici = InstanceInfo(ST["INSTANCE_CREATE_INFO"], None, 0, C.pointer(app), 0, None, 0, None)
        self.instance = Handle()
        check(vkCreateInstance(C.byref(ici), None, C.byref(self.instance)), "vkCreateInstance")
        self.pd = self.pick_device()
        self.memory_types()
        names = [n for n in (b"VK_KHR_external_memory_fd", b"VK_KHR_external_semaphore_fd",
                             b"VK_KHR_external_fence_fd") if n in self.extensions()]
        self.has_sem_fd = b"VK_KHR_external_semaphore_fd" in names
        self.has_fence_fd = b"VK_KHR_external_fence_fd" in names
        tf = TimelineFeatures(ST["PHYSICAL_DEVICE_TIMELINE_SEMAPHORE_FEATURES"], None, 0)
        f2 = (C.c_uint8 * 512)()
        C.memmove(f2, C.byref(i32(ST["PHYSICAL_DEVICE_FEATURES_2"])), 4)
        C.c_void_p.from_buffer(f2, 8).value = C.addressof(tf)
        vkGetPhysicalDeviceFeatures2(self.pd, f2)
        self.has_timeline = bool(tf.timelineSemaphore)
        self.devices = [self.make_device(names, self.has_timeline) for _ in range(2)]

    def pick_device(self):
        n = u32(0)
        check(vkEnumeratePhysicalDevices(self.instance, C.byref(n), None), "vkEnumeratePhysicalDevices")
        all_ = (Handle * n.value)()
        vkEnumeratePhysicalDevices(self.instance, C.byref(n), all_)
        want = os.environ.get("VKBENCH_DEVICE_UUID")
        for pd in all_:
            ident = IdProps(ST["PHYSICAL_DEVICE_ID_PROPERTIES"])
            props = (C.c_uint8 * 2048)()  # VkPhysicalDeviceProperties2: sType, pNext, then 824 bytes
            C.memmove(props, C.byref(i32(ST["PHYSICAL_DEVICE_PROPERTIES_2"])), 4)
            C.c_void_p.from_buffer(props, 8).value = C.addressof(ident)
            vkGetPhysicalDeviceProperties2(pd, props)
            if not want or want == uuid_text(ident.deviceUUID):
                self.device_uuid = uuid_text(ident.deviceUUID)
                return Handle(pd)
        sys.exit("vkbench.py: VKBENCH_DEVICE_UUID names no device here")

    def memory_types(self):
        mp = MemoryProps()
        vkGetPhysicalDeviceMemoryProperties(self.pd, C.byref(mp))
        flags = [mp.memoryTypes[i].propertyFlags for i in range(mp.memoryTypeCount)]
        self.device_local = next(i for i, f in enumerate(flags) if f & 0x1)
        self.host = next((i for i, f in enumerate(flags) if f & 0x6 == 0x6), None)

    def extensions(self):
        n = u32(0)
        vkEnumerateDeviceExtensionProperties(self.pd, None, C.byref(n), None)
        props = (ExtensionProps * n.value)()
        vkEnumerateDeviceExtensionProperties(self.pd, None, C.byref(n), props)
        return {p.extensionName for p in props}

    def make_device(self, names, timeline):
        priority = C.c_float(1.0)
        q = QueueInfo(ST["DEVICE_QUEUE_CREATE_INFO"], None, 0, 0, 1, C.pointer(priority))
        enable = TimelineFeatures(ST["PHYSICAL_DEVICE_TIMELINE_SEMAPHORE_FEATURES"], None, int(timeline))
        exts = (C.c_char_p * len(names))(*names)
        dci = DeviceInfo(ST["DEVICE_CREATE_INFO"], C.addressof(enable), 0, 1, C.pointer(q), 0, None,
                         len(names), exts, None)
        dev = Handle()
        check(vkCreateDevice(self.pd, C.byref(dci), None, C.byref(dev)), "vkCreateDevice")
        fns = {}
        for name, args in EXT_FNS.items():
            p = vkGetDeviceProcAddr(dev, name.encode())
            fns[name] = C.CFUNCTYPE(i32, *args)(p) if p else None
        return dev, fns

    # ---- the calls each op makes, as vkbench.c's helpers -------------------------------------

    def alloc(self, d, size, type_, exportable):
        exp = ExportMemory(ST["EXPORT_MEMORY_ALLOCATE_INFO"], None, OPAQUE_FD)
        info = AllocInfo(ST["MEMORY_ALLOCATE_INFO"], C.addressof(exp) if exportable else None, size, type_)
        m = Nd()
        check(vkAllocateMemory(self.devices[d][0], C.byref(info), None, C.byref(m)), "vkAllocateMemory")
        return m.value

    def get_fd(self, d, command, info):
        """Exports through extension `command` of device d (vkGet*FdKHR) with `info`: the fd."""
        dev, fns = self.devices[d]
        fd = C.c_int(-1)
        check(fns[command](dev, C.byref(info), C.byref(fd)), command)
        return fd.value

    def import_fd(self, d, command, info):
        """Imports through extension `command` of device d (vkImport*FdKHR) with `info`."""
        dev, fns = self.devices[d]
        check(fns[command](dev, C.byref(info)), command)

    def export_memory(self, m):
        info = MemoryGetFd(ST["MEMORY_GET_FD_INFO_KHR"], None, m, OPAQUE_FD)
        return self.get_fd(0, "vkGetMemoryFdKHR", info)

    def import_memory(self, fd, size):
        imp = ImportMemoryFd(ST["IMPORT_MEMORY_FD_INFO_KHR"], None, OPAQUE_FD, fd)
        info = AllocInfo(ST["MEMORY_ALLOCATE_INFO"], C.addressof(imp), size, self.device_local)
        m = Nd()
        check(vkAllocateMemory(self.devices[1][0], C.byref(info), None, C.byref(m)), "vkAllocateMemory")
        return m.value

    def create_semaphore(self, d, timeline, exportable, initial=0):
        exp = ExportSemaphore(ST["EXPORT_SEMAPHORE_CREATE_INFO"], None, OPAQUE_FD)
        kind = SemaphoreType(ST["SEMAPHORE_TYPE_CREATE_INFO"], C.addressof(exp) if exportable else None,
                             int(timeline), initial if timeline else 0)
        info = SemaphoreInfo(ST["SEMAPHORE_CREATE_INFO"], C.addressof(kind), 0)
        s = Nd()
        check(vkCreateSemaphore(self.devices[d][0], C.byref(info), None, C.byref(s)), "vkCreateSemaphore")
        return s.value

    def export_semaphore(self, d, s):
        info = SemaphoreGetFd(ST["SEMAPHORE_GET_FD_INFO_KHR"], None, s, OPAQUE_FD)
        return self.get_fd(d, "vkGetSemaphoreFdKHR", info)

    def import_semaphore(self, d, fd, timeline):
        s = self.create_semaphore(d, timeline, False)
        info = ImportSemaphoreFd(ST["IMPORT_SEMAPHORE_FD_INFO_KHR"], None, s, 0, OPAQUE_FD, fd)
        self.import_fd(d, "vkImportSemaphoreFdKHR", info)
        return s

    def create_fence(self, d, exportable):
        exp = ExportFence(ST["EXPORT_FENCE_CREATE_INFO"], None, OPAQUE_FD)
        info = FenceInfo(ST["FENCE_CREATE_INFO"], C.addressof(exp) if exportable else None, 0)
        f = Nd()
        check(vkCreateFence(self.devices[d][0], C.byref(info), None, C.byref(f)), "vkCreateFence")
        return f.value

    def export_fence(self, f):
        info = FenceGetFd(ST["FENCE_GET_FD_INFO_KHR"], None, f, OPAQUE_FD)
        return self.get_fd(0, "vkGetFenceFdKHR", info)

    def import_fence(self, fd):
        f = self.create_fence(1, False)
        info = ImportFenceFd(ST["IMPORT_FENCE_FD_INFO_KHR"], None, f, 0, OPAQUE_FD, fd)
        self.import_fd(1, "vkImportFenceFdKHR", info)
        return f


def timed(before, span, after=lambda x: None):
    """Runs `before()`, times `span(its result)`, then `after(span's result)`: the ns of the span."""
    x = before()
    t0 = time.perf_counter_ns()
    y = span(x)
    t1 = time.perf_counter_ns()
    after(y)
    return t1 - t0


def ops(b, size):
    """Each op as (prepare, run once); prepare returns why it cannot run here, or None."""
    d0, d1 = b.devices[0][0], b.devices[1][0]
    held = {}
    none = lambda: None  # noqa: E731

    def need(sem=False, timeline=False, fence=False):
        if sem and not b.has_sem_fd:
            return "no VK_KHR_external_semaphore_fd"
        if sem and timeline and not b.has_timeline:
            return "no timelineSemaphore feature"
        if fence and not b.has_fence_fd:
            return "no VK_KHR_external_fence_fd"
        return None

    def hold_memory(type_, exportable):
        held["m"] = b.alloc(0, size, type_, exportable)

    def sem_ops(t):
        kind = "tsem" if t else "sem"

        def prep():
            why = need(sem=True, timeline=t)
            if not why:
                held["s"] = b.create_semaphore(0, t, True)
            return why

        return {
            f"{kind}.create": (lambda: need(sem=True, timeline=t), lambda: timed(
                none, lambda _: b.create_semaphore(0, t, True), lambda s: vkDestroySemaphore(d0, s, None))),
            f"{kind}.export": (prep, lambda: timed(none, lambda _: b.export_semaphore(0, held["s"]), close)),
            f"{kind}.import": (prep, lambda: timed(
                lambda: b.export_semaphore(0, held["s"]), lambda fd: b.import_semaphore(1, fd, t),
                lambda s: vkDestroySemaphore(d1, s, None))),
        }

    def fence_prep():
        why = need(fence=True)
        if not why:
            held["f"] = b.create_fence(0, True)
        return why

    def map_prep():
        if b.host is None:
            return "no host-visible memory type"
        hold_memory(b.host, False)

    def map_once():
        p = ptr()
        return timed(none, lambda _: check(vkMapMemory(d0, held["m"], 0, ~0 & (2**64 - 1), 0, C.byref(p)),
                                            "vkMapMemory"), lambda _: vkUnmapMemory(d0, held["m"]))

    def signal_wait_prep():
        why = need(sem=True, timeline=True)
        if not why:
            held["s"] = b.create_semaphore(0, True, True)
            held["sb"] = b.import_semaphore(1, b.export_semaphore(0, held["s"]), True)
            held["v"] = 0
        return why

    def signal_wait_once():
        held["v"] += 1
        v = u64(held["v"])
        sig = SignalInfo(ST["SEMAPHORE_SIGNAL_INFO"], None, held["s"], v.value)
        sb = Nd(held["sb"])
        wait = WaitInfo(ST["SEMAPHORE_WAIT_INFO"], None, 0, 1, C.pointer(sb), C.pointer(v))

        def span(_):
            check(vkSignalSemaphore(d0, C.byref(sig)), "vkSignalSemaphore")
            check(vkWaitSemaphores(d1, C.byref(wait), 10_000_000_000), "vkWaitSemaphores")
        return timed(none, span)

    return {
        "mem.alloc": (none, lambda: timed(none, lambda _: b.alloc(0, size, b.device_local, True),
                                          lambda m: vkFreeMemory(d0, m, None))),
        "mem.free": (none, lambda: timed(lambda: b.alloc(0, size, b.device_local, True),
                                         lambda m: vkFreeMemory(d0, m, None))),
        "mem.export": (lambda: hold_memory(b.device_local, True),
                       lambda: timed(none, lambda _: b.export_memory(held["m"]), close)),
        "mem.import": (lambda: hold_memory(b.device_local, True), lambda: timed(
            lambda: b.export_memory(held["m"]), lambda fd: b.import_memory(fd, size),
            lambda m: vkFreeMemory(d1, m, None))),
        "mem.map": (map_prep, map_once),
        **sem_ops(False),
        **sem_ops(True),
        "fence.create": (lambda: need(fence=True), lambda: timed(
            none, lambda _: b.create_fence(0, True), lambda f: vkDestroyFence(d0, f, None))),
        "fence.export": (fence_prep, lambda: timed(none, lambda _: b.export_fence(held["f"]), close)),
        "fence.import": (fence_prep, lambda: timed(
            lambda: b.export_fence(held["f"]), b.import_fence, lambda f: vkDestroyFence(d1, f, None))),
        "timeline.signal_wait": (signal_wait_prep, signal_wait_once),
    }


# ---- the cross-process handoff (vkbench.c's) --------------------------------------------------

MAGIC = 0x48534B56  # "VKSH", as ipc/socket.ts writes it
now = time.perf_counter_ns


def send_packet(s, body, fd=-1):
    """vkshare's 16-byte header (magic, version, fd count, body length), the body, and `fd`."""
    head = S.pack("<IHHII", MAGIC, 1, 0, int(fd >= 0), len(body))
    rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))] if fd >= 0 else []
    s.sendmsg([head + body], rights)


def receive_packet(s):
    """One packet: its body, and the fd that came with it (or -1)."""
    data, ancillary, _, _ = s.recvmsg(16 + 65536, socket.CMSG_SPACE(4), socket.MSG_CMSG_CLOEXEC)
    if len(data) < 16:
        sys.exit("vkbench.py: a packet")
    magic, _, _, _, length = S.unpack_from("<IHHII", data)
    if magic != MAGIC or length + 16 != len(data):
        sys.exit("vkbench.py: a packet")
    fd = -1
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fd = int.from_bytes(payload[:4], "little", signed=True)
    return data[16:], fd


def p50_us(xs):
    return sorted(xs)[len(xs) // 2] / 1e3


def consume(s, n):
    """The consumer: its own devices; n times receives an offer, imports the memory into its
    second device, frees it and acks. Its phases' p50s go to stderr, as vkbench.c's."""
    b = Bench()
    phases = [[], [], [], []]
    for i in range(n):
        t0 = now()
        body, fd = receive_packet(s)
        size = re.search(rb'"size":(\d+)', body)
        if fd < 0 or not size:
            sys.exit("vkbench.py: an offer")
        t1 = now()
        m = b.import_memory(fd, int(size[1]))
        t2 = now()
        vkFreeMemory(b.devices[1][0], m, None)
        t3 = now()
        send_packet(s, b'{"type":"ack","i":%d}' % i)
        t4 = now()
        for k, t in enumerate((t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            phases[k].append(t)
    print("consumer phases: receive %.1f us, import %.1f us, free %.1f us, ack %.1f us"
          % tuple(p50_us(x) for x in phases), file=sys.stderr)
    sys.stderr.flush()
    os._exit(0)


def start_consumer(n):
    """Forks the consumer before this process opens Vulkan (no driver state is forked)."""
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    if os.fork() == 0:
        mine.close()
        consume(theirs, n)
    theirs.close()
    return mine


def handoff(b, size, s):
    """The exporter's (prepare, once) and its phases (export, send, wait for the ack)."""
    held, phases = {}, [[], [], []]
    uuid = b.device_uuid.replace("-", "")

    def prepare():
        held["m"] = b.alloc(0, size, b.device_local, True)

    def once():
        t0 = now()
        fd = b.export_memory(held["m"])
        t1 = now()
        body = ('{"type":"offer","version":1,"label":"handoff %d","memory":{"version":1,'
                '"handleType":"OPAQUE_FD","size":%d,"memoryTypeIndex":%d,'
                '"memoryProperties":["DEVICE_LOCAL"],"dedicated":null,"deviceUUID":"%s",'
                '"driverUUID":"%s","deviceName":"vkbench","fdKind":"memfd"},'
                '"semaphores":[],"fences":[]}'
                % (len(phases[0]), size, b.device_local, uuid, uuid)).encode()
        send_packet(s, body, fd)
        os.close(fd)
        t2 = now()
        ack, fd = receive_packet(s)
        if fd >= 0 or b'"ack"' not in ack:
            sys.exit("vkbench.py: the ack")
        t3 = now()
        for k, t in enumerate((t1 - t0, t2 - t1, t3 - t2)):
            phases[k].append(t)
        return t3 - t0

    return prepare, once, phases


def query_batch(b, batch):
    info = BufferInfo(ST["PHYSICAL_DEVICE_EXTERNAL_BUFFER_INFO"], None, 0, 0x3, OPAQUE_FD)
    props = BufferProps(ST["EXTERNAL_BUFFER_PROPERTIES"])
    t0 = time.perf_counter_ns()
    for _ in range(batch):
        vkGetPhysicalDeviceExternalBufferProperties(b.pd, C.byref(info), C.byref(props))
    return (time.perf_counter_ns() - t0) // batch


def layouts():
    """Every struct this file declares: its C name, size and field offsets (for --layouts)."""
    out = {}
    for t in list(globals().values()):
        if isinstance(t, type) and issubclass(t, C.Structure) and t.__name__.startswith("Vk"):
            out[t.__name__] = {"size": C.sizeof(t),
                               "fields": {f[0]: getattr(t, f[0]).offset for f in t._fields_}}
    return out


def main(argv):
    if len(argv) == 2 and argv[1] == "--layouts":
        import json
        print(json.dumps(layouts()))
        return 0
    if len(argv) < 4 or argv[1] in ("-h", "--help"):
        print("usage: vkbench.py <op> <size> <iterations> [batch]", file=sys.stderr)
        return 0 if len(argv) > 1 and argv[1] in ("-h", "--help") else 2
    op, size, iterations = argv[1], int(argv[2]), int(argv[3])
    batch = int(argv[4]) if len(argv) > 4 else 1
    warmup = max(iterations, 20)
    # The handoff's consumer is forked first, for exactly the runs below.
    s = start_consumer(1 + warmup + iterations) if op == "handoff" else None
    b = Bench()
    phases = None
    if op == "query":
        prepare, once = (lambda: None), (lambda: query_batch(b, batch))
    elif op == "handoff":
        prepare, once, phases = handoff(b, size, s)
    else:
        table = ops(b, size)
        if op not in table:
            print(f'{{"op": "{op}", "unsupported": "not in the Python reference"}}')
            return 0
        prepare, once = table[op]
    why = prepare()
    if why:
        print(f'{{"op": "{op}", "unsupported": "{why}"}}')
        return 0
    cold = once() if op != "query" else query_batch(b, 1)
    # At least `warmup` runs and 250 ms (a handoff: exactly `warmup`, as its consumer expects).
    until = time.perf_counter_ns() + 250_000_000
    i = 0
    while i < warmup or (s is None and time.perf_counter_ns() < until):
        once()
        i += 1
    for x in phases or []:
        x.clear()  # the phases of the measured runs only
    warm = [once() for _ in range(iterations)]
    print(f'{{"op": "{op}", "size": {size}, "cold_ns": {cold}, "warm_ns": [{", ".join(map(str, warm))}]}}')
    sys.stdout.flush()
    if s is not None:
        s.close()
        os.wait()  # the consumer's phases line comes first
        print("phases: export %.1f us, send %.1f us, wait for the ack %.1f us"
              % tuple(p50_us(x) for x in phases), file=sys.stderr)
    return 0

if __name__ == "__main__":
    sys.exit(main(sys.argv))
