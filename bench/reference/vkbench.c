// The C reference of vkshare's benchmarks: the same Vulkan (and CUDA) calls, timed the same way,
// with nothing around them. The runner (bench/run.ts) compiles it and runs it between its own
// batches:
//
//   cc -O2 -o vkbench bench/reference/vkbench.c -lvulkan -ldl
//   ./vkbench <op> <size> <iterations> [batch]
//
// `handoff` is the cross-process handoff of bench/run.ts: this process exports the memory and
// sends it (SCM_RIGHTS, with a 16-byte header and an offer's JSON, as vkshare's socket protocol
// frames it) to a child process over a SOCK_SEQPACKET pair; the child, with its own instance and
// devices, imports it, frees it and sends back an ack; the timed span is export -> ack received.
//
// `pipeline` is examples/pipeline.ts's frame loop (below): its samples are frame latencies, and
// its JSON says the mode it ran in (timeline, or host without semaphore fds).
//
// It creates an instance and two devices on the first physical device (every external extension
// it offers, timeline semaphores when supported), times the operation once right after that
// (cold), then `iterations` times after a warm-up of as many (warm), and prints one line of JSON:
//   {"op": "...", "size": N, "cold_ns": N, "warm_ns": [N, ...]}
// or {"op": "...", "unsupported": "why"}. With `batch` > 1, each warm sample is the mean of
// `batch` calls (for calls too short to time one by one). What each op times is what the same op
// of bench/ops.ts times; setup and cleanup of each iteration are outside the timed span.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <vulkan/vulkan.h>

static VkInstance instance;
static VkPhysicalDevice pd;
static VkDevice dev[2];
static int has_sem_fd, has_fence_fd, has_timeline;
static uint32_t device_local_type = UINT32_MAX, host_type = UINT32_MAX;
static uint8_t device_uuid[VK_UUID_SIZE];

static PFN_vkGetMemoryFdKHR getMemoryFd[2];
static PFN_vkGetSemaphoreFdKHR getSemaphoreFd[2];
static PFN_vkImportSemaphoreFdKHR importSemaphoreFd[2];
static PFN_vkGetFenceFdKHR getFenceFd[2];
static PFN_vkImportFenceFdKHR importFenceFd[2];

static void die(const char* what, VkResult r) {
  fprintf(stderr, "vkbench: %s failed: %d\n", what, r);
  exit(1);
}
#define CHECK(call) \
  do { \
    VkResult r_ = (call); \
    if (r_ != VK_SUCCESS) die(#call, r_); \
  } while (0)

static uint64_t now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int has_extension(const char* name) {
  uint32_t n = 0;
  vkEnumerateDeviceExtensionProperties(pd, NULL, &n, NULL);
  VkExtensionProperties* e = calloc(n, sizeof *e);
  vkEnumerateDeviceExtensionProperties(pd, NULL, &n, e);
  int found = 0;
  for (uint32_t i = 0; i < n; i++) found |= strcmp(e[i].extensionName, name) == 0;
  free(e);
  return found;
}

static void setup(void) {
  VkApplicationInfo app = {VK_STRUCTURE_TYPE_APPLICATION_INFO, .pApplicationName = "vkbench",
                           .apiVersion = VK_API_VERSION_1_2};
  VkInstanceCreateInfo ici = {VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO, .pApplicationInfo = &app};
  CHECK(vkCreateInstance(&ici, NULL, &instance));
  uint32_t n = 0;
  CHECK(vkEnumeratePhysicalDevices(instance, &n, NULL));
  if (n == 0) die("vkEnumeratePhysicalDevices: no device", VK_ERROR_INITIALIZATION_FAILED);
  VkPhysicalDevice* all = calloc(n, sizeof *all);
  VkResult r = vkEnumeratePhysicalDevices(instance, &n, all);
  if (r != VK_SUCCESS && r != VK_INCOMPLETE) die("vkEnumeratePhysicalDevices", r);
  // The first device, or the one whose deviceUUID is $VKBENCH_DEVICE_UUID (bench/run.ts
  // --device: the same GPU as the TypeScript side, whatever the order).
  const char* want = getenv("VKBENCH_DEVICE_UUID");
  pd = VK_NULL_HANDLE;
  for (uint32_t i = 0; i < n && pd == VK_NULL_HANDLE; i++) {
    VkPhysicalDeviceIDProperties id = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES};
    VkPhysicalDeviceProperties2 props = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, &id};
    vkGetPhysicalDeviceProperties2(all[i], &props);
    char text[37];
    const uint8_t* u = id.deviceUUID;
    snprintf(text, sizeof text,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
             u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
             u[15]);
    if (!want || !strcmp(want, text)) {
      pd = all[i];
      memcpy(device_uuid, id.deviceUUID, VK_UUID_SIZE);
    }
  }
  free(all);
  if (pd == VK_NULL_HANDLE) die("VKBENCH_DEVICE_UUID names no device here", VK_ERROR_INITIALIZATION_FAILED);
  VkPhysicalDeviceMemoryProperties mp;
  vkGetPhysicalDeviceMemoryProperties(pd, &mp);
  const VkMemoryPropertyFlags host =
      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  for (uint32_t i = 0; i < mp.memoryTypeCount; i++) {
    VkMemoryPropertyFlags f = mp.memoryTypes[i].propertyFlags;
    if (device_local_type == UINT32_MAX && (f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)) {
      device_local_type = i;
    }
    if (host_type == UINT32_MAX && (f & host) == host) host_type = i;
  }

  const char* wanted[] = {"VK_KHR_external_memory_fd", "VK_KHR_external_semaphore_fd",
                          "VK_KHR_external_fence_fd"};
  const char* enabled[3];
  uint32_t count = 0;
  for (int i = 0; i < 3; i++) {
    if (has_extension(wanted[i])) enabled[count++] = wanted[i];
  }
  has_sem_fd = has_extension("VK_KHR_external_semaphore_fd");
  has_fence_fd = has_extension("VK_KHR_external_fence_fd");
  VkPhysicalDeviceTimelineSemaphoreFeatures tf = {
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_TIMELINE_SEMAPHORE_FEATURES};
  VkPhysicalDeviceFeatures2 f2 = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, &tf};
  vkGetPhysicalDeviceFeatures2(pd, &f2);
  has_timeline = tf.timelineSemaphore;

  float priority = 1.0f;
  VkDeviceQueueCreateInfo q = {VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO, .queueFamilyIndex = 0,
                               .queueCount = 1, .pQueuePriorities = &priority};
  VkPhysicalDeviceTimelineSemaphoreFeatures enable = {
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_TIMELINE_SEMAPHORE_FEATURES,
      .timelineSemaphore = tf.timelineSemaphore};
  VkDeviceCreateInfo dci = {VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO, &enable,
                            .queueCreateInfoCount = 1, .pQueueCreateInfos = &q,
                            .enabledExtensionCount = count, .ppEnabledExtensionNames = enabled};
  for (int d = 0; d < 2; d++) {
    CHECK(vkCreateDevice(pd, &dci, NULL, &dev[d]));
#define LOAD(var, name) var[d] = (PFN_##name)vkGetDeviceProcAddr(dev[d], #name)
    LOAD(getMemoryFd, vkGetMemoryFdKHR);
    LOAD(getSemaphoreFd, vkGetSemaphoreFdKHR);
    LOAD(importSemaphoreFd, vkImportSemaphoreFdKHR);
    LOAD(getFenceFd, vkGetFenceFdKHR);
    LOAD(importFenceFd, vkImportFenceFdKHR);
  }
}

// ---- the operations: each runs setup, then the timed span, then cleanup ----------------------

static VkDeviceMemory alloc(int d, VkDeviceSize size, uint32_t type, int exportable) {
  VkExportMemoryAllocateInfo exp = {VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO,
                                    .handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT};
  VkMemoryAllocateInfo info = {VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, exportable ? &exp : NULL,
                               size, type};
  VkDeviceMemory m;
  CHECK(vkAllocateMemory(dev[d], &info, NULL, &m));
  return m;
}

static int export_memory(VkDeviceMemory m) {
  VkMemoryGetFdInfoKHR info = {VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR, .memory = m,
                               .handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT};
  int fd = -1;
  CHECK(getMemoryFd[0](dev[0], &info, &fd));
  return fd;
}

static VkDeviceMemory import_memory(int fd, VkDeviceSize size) {
  VkImportMemoryFdInfoKHR imp = {VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR,
                                 .handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT,
                                 .fd = fd};
  VkMemoryAllocateInfo info = {VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, &imp, size,
                               device_local_type};
  VkDeviceMemory m;
  CHECK(vkAllocateMemory(dev[1], &info, NULL, &m));
  return m;
}

// A semaphore of device d (a timeline one starting at `initial`), exportable as OPAQUE_FD or not.
static VkSemaphore create_semaphore(int d, int timeline, int exportable, uint64_t initial) {
  VkExportSemaphoreCreateInfo exp = {VK_STRUCTURE_TYPE_EXPORT_SEMAPHORE_CREATE_INFO,
                                     .handleTypes =
                                         VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT};
  VkSemaphoreTypeCreateInfo type = {VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
                                    exportable ? &exp : NULL,
                                    timeline ? VK_SEMAPHORE_TYPE_TIMELINE : VK_SEMAPHORE_TYPE_BINARY,
                                    timeline ? initial : 0};
  VkSemaphoreCreateInfo info = {VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO, &type};
  VkSemaphore s;
  CHECK(vkCreateSemaphore(dev[d], &info, NULL, &s));
  return s;
}

// Exports semaphore `s` of device d as an OPAQUE_FD.
static int export_semaphore(int d, VkSemaphore s) {
  VkSemaphoreGetFdInfoKHR info = {VK_STRUCTURE_TYPE_SEMAPHORE_GET_FD_INFO_KHR, .semaphore = s,
                                  .handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT};
  int fd = -1;
  CHECK(getSemaphoreFd[d](dev[d], &info, &fd));
  return fd;
}

// Imports `fd` into a new semaphore of device d.
static VkSemaphore import_semaphore(int d, int fd, int timeline) {
  VkSemaphore s = create_semaphore(d, timeline, 0, 0);
  VkImportSemaphoreFdInfoKHR info = {VK_STRUCTURE_TYPE_IMPORT_SEMAPHORE_FD_INFO_KHR,
                                     .semaphore = s,
                                     .handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT,
                                     .fd = fd};
  CHECK(importSemaphoreFd[d](dev[d], &info));
  return s;
}

static VkFence create_fence(int d, int exportable) {
  VkExportFenceCreateInfo exp = {VK_STRUCTURE_TYPE_EXPORT_FENCE_CREATE_INFO,
                                 .handleTypes = VK_EXTERNAL_FENCE_HANDLE_TYPE_OPAQUE_FD_BIT};
  VkFenceCreateInfo info = {VK_STRUCTURE_TYPE_FENCE_CREATE_INFO, exportable ? &exp : NULL};
  VkFence f;
  CHECK(vkCreateFence(dev[d], &info, NULL, &f));
  return f;
}

static int export_fence(VkFence f) {
  VkFenceGetFdInfoKHR info = {VK_STRUCTURE_TYPE_FENCE_GET_FD_INFO_KHR, .fence = f,
                              .handleType = VK_EXTERNAL_FENCE_HANDLE_TYPE_OPAQUE_FD_BIT};
  int fd = -1;
  CHECK(getFenceFd[0](dev[0], &info, &fd));
  return fd;
}

// Imports `fd` into a new fence of device 1.
static VkFence import_fence(int fd) {
  VkFence f = create_fence(1, 0);
  VkImportFenceFdInfoKHR info = {VK_STRUCTURE_TYPE_IMPORT_FENCE_FD_INFO_KHR, .fence = f,
                                 .handleType = VK_EXTERNAL_FENCE_HANDLE_TYPE_OPAQUE_FD_BIT,
                                 .fd = fd};
  CHECK(importFenceFd[1](dev[1], &info));
  return f;
}

// CUDA through dlopen, with the few declarations it needs (no cuda.h).
typedef int (*cuInit_t)(unsigned);
typedef int (*cuDeviceGet_t)(int*, int);
typedef int (*cuDeviceGetCount_t)(int*);
typedef int (*cuDeviceGetUuid_t)(uint8_t*, int);
typedef int (*cuDevicePrimaryCtxRetain_t)(void**, int);
typedef int (*cuCtxSetCurrent_t)(void*);
typedef int (*cuImportExternalMemory_t)(void**, const void*);
typedef int (*cuDestroyExternal_t)(void*);
typedef int (*cuImportExternalSemaphore_t)(void**, const void*);
static cuImportExternalMemory_t cuImportExternalMemory;
static cuDestroyExternal_t cuDestroyExternalMemory, cuDestroyExternalSemaphore;
static cuImportExternalSemaphore_t cuImportExternalSemaphore;

struct cuda_memory_desc {  // CUDA_EXTERNAL_MEMORY_HANDLE_DESC (checked in tests/cuda_layouts.json)
  unsigned type;
  union {
    int fd;
    struct {
      void* handle;
      const void* name;
    } win32;
  } handle;
  unsigned long long size;
  unsigned flags;
  unsigned reserved[16];
};
struct cuda_semaphore_desc {  // CUDA_EXTERNAL_SEMAPHORE_HANDLE_DESC
  unsigned type;
  union {
    int fd;
    struct {
      void* handle;
      const void* name;
    } win32;
  } handle;
  unsigned flags;
  unsigned reserved[16];
};

static const char* cuda_setup(void) {
  void* lib = dlopen("libcuda.so.1", RTLD_NOW);
  if (!lib) return "no CUDA driver (libcuda.so.1)";
#define SYM(name) name##_t name = (name##_t)dlsym(lib, #name)
  SYM(cuInit);
  SYM(cuDeviceGet);
  SYM(cuDeviceGetCount);
  cuDeviceGetUuid_t cuDeviceGetUuid = (cuDeviceGetUuid_t)dlsym(lib, "cuDeviceGetUuid_v2");
  SYM(cuDevicePrimaryCtxRetain);
  SYM(cuCtxSetCurrent);
  cuImportExternalMemory = (cuImportExternalMemory_t)dlsym(lib, "cuImportExternalMemory");
  cuDestroyExternalMemory = (cuDestroyExternal_t)dlsym(lib, "cuDestroyExternalMemory");
  cuImportExternalSemaphore = (cuImportExternalSemaphore_t)dlsym(lib, "cuImportExternalSemaphore");
  cuDestroyExternalSemaphore = (cuDestroyExternal_t)dlsym(lib, "cuDestroyExternalSemaphore");
  if (cuInit(0) != 0) return "cuInit failed";
  int n = 0;
  cuDeviceGetCount(&n);
  for (int i = 0; i < n; i++) {
    int d;
    uint8_t uuid[16];
    cuDeviceGet(&d, i);
    cuDeviceGetUuid(uuid, d);
    if (memcmp(uuid, device_uuid, 16) != 0) continue;
    void* ctx;
    if (cuDevicePrimaryCtxRetain(&ctx, d) != 0 || cuCtxSetCurrent(ctx) != 0) return "no context";
    return NULL;
  }
  return "no CUDA device is the Vulkan device";
}


// OpenGL through EGL, by dlopen and eglGetProcAddress (no GL headers): a context on the EGL device
// whose GL deviceUUID is the Vulkan device's, as vkshare's GlContext makes it.
typedef void* (*eglGetProcAddress_t)(const char*);
typedef void (*gl_create_t)(int, unsigned*);
typedef void (*gl_import_fd_t)(unsigned, unsigned long long, unsigned, int);
typedef void (*gl_storage_mem_t)(unsigned, long, unsigned, unsigned long long);
typedef unsigned (*gl_get_error_t)(void);
typedef void (*gl_get_ubv_t)(unsigned, unsigned, uint8_t*);
typedef const char* (*gl_get_string_t)(unsigned);
static gl_create_t glCreateMemoryObjectsEXT, glCreateBuffers, glDeleteMemoryObjectsEXT, glDeleteBuffers;
static gl_import_fd_t glImportMemoryFdEXT;
static gl_storage_mem_t glNamedBufferStorageMemEXT;
static gl_get_error_t glGetError;
typedef void (*gl_import_sem_t)(unsigned, unsigned, int);
typedef void (*gl_sem_op_t)(unsigned, unsigned, const unsigned*, unsigned, const unsigned*,
                            const unsigned*);
static gl_create_t glGenSemaphoresEXT;
static gl_import_sem_t glImportSemaphoreFdEXT;
static gl_sem_op_t glWaitSemaphoreEXT, glSignalSemaphoreEXT;
static void (*glFlush)(void);
static int gl_semaphores;  // GL_EXT_semaphore_fd is offered
static unsigned gl_padding;  // llvmpipe's buffers need 8 bytes past their end (vkshare's GL_BUFFER_RANGE)

static const char* gl_setup(void) {
  void* lib = dlopen("libEGL.so.1", RTLD_NOW);
  if (!lib) return "no libEGL.so.1";
  eglGetProcAddress_t gpa = (eglGetProcAddress_t)dlsym(lib, "eglGetProcAddress");
  void* (*get_display)(unsigned, void*, const intptr_t*) = gpa("eglGetPlatformDisplay");
  unsigned (*init)(void*, int*, int*) = gpa("eglInitialize");
  unsigned (*bind)(unsigned) = gpa("eglBindAPI");
  void* (*create)(void*, void*, void*, const int*) = gpa("eglCreateContext");
  unsigned (*make_current)(void*, void*, void*, void*) = gpa("eglMakeCurrent");
  unsigned (*query_devices)(int, void**, int*) = gpa("eglQueryDevicesEXT");
  gl_get_ubv_t get_uuid = (gl_get_ubv_t)gpa("glGetUnsignedBytei_vEXT");
  gl_get_string_t get_string = (gl_get_string_t)gpa("glGetString");
  glCreateMemoryObjectsEXT = (gl_create_t)gpa("glCreateMemoryObjectsEXT");
  glDeleteMemoryObjectsEXT = (gl_create_t)gpa("glDeleteMemoryObjectsEXT");
  glCreateBuffers = (gl_create_t)gpa("glCreateBuffers");
  glDeleteBuffers = (gl_create_t)gpa("glDeleteBuffers");
  glImportMemoryFdEXT = (gl_import_fd_t)gpa("glImportMemoryFdEXT");
  glNamedBufferStorageMemEXT = (gl_storage_mem_t)gpa("glNamedBufferStorageMemEXT");
  glGetError = (gl_get_error_t)gpa("glGetError");
  glGenSemaphoresEXT = (gl_create_t)gpa("glGenSemaphoresEXT");
  glImportSemaphoreFdEXT = (gl_import_sem_t)gpa("glImportSemaphoreFdEXT");
  glWaitSemaphoreEXT = (gl_sem_op_t)gpa("glWaitSemaphoreEXT");
  glSignalSemaphoreEXT = (gl_sem_op_t)gpa("glSignalSemaphoreEXT");
  glFlush = (void (*)(void))gpa("glFlush");
  void (*get_integer)(unsigned, int*) = gpa("glGetIntegerv");
  const char* (*get_stringi)(unsigned, unsigned) = gpa("glGetStringi");
  if (!query_devices || !get_uuid || !glImportMemoryFdEXT) return "no EGL devices or GL memory objects";
  void* devices[16];
  int n = 0;
  query_devices(16, devices, &n);
  const intptr_t none[] = {0x3038};
  const int attribs[] = {0x3038};
  for (int i = 0; i < n; i++) {
    void* dpy = get_display(0x313F, devices[i], none);  // EGL_PLATFORM_DEVICE_EXT
    int major, minor;
    if (!dpy || !init(dpy, &major, &minor) || !bind(0x30A2)) continue;  // EGL_OPENGL_API
    void* ctx = create(dpy, NULL, NULL, attribs);
    if (!ctx || !make_current(dpy, NULL, NULL, ctx)) continue;
    uint8_t uuid[16];
    get_uuid(0x9597, 0, uuid);  // GL_DEVICE_UUID_EXT
    if (memcmp(uuid, device_uuid, 16) != 0) continue;
    gl_padding = strncmp(get_string(0x1F01), "llvmpipe", 8) ? 0 : 8;  // GL_RENDERER
    int count = 0;
    get_integer(0x821D, &count);  // GL_NUM_EXTENSIONS
    for (int e = 0; e < count; e++) {
      if (!strcmp(get_stringi(0x1F03, (unsigned)e), "GL_EXT_semaphore_fd")) gl_semaphores = 1;
    }
    return NULL;
  }
  return "no GL context is the Vulkan device";
}

// ---- the driver ----------------------------------------------------------------------------

static VkDeviceSize size;
static const char* op;

// Shared state of the current op, made before the cold run.
static VkDeviceMemory held;
static VkSemaphore held_sem, held_sem_b;
static VkFence held_fence;
static uint64_t timeline_value;
static VkQueue gl_queue;
static unsigned gl_sem[2];  // held_sem and held_sem_b as GL semaphores (gl.semaphore)

// ---- the cross-process handoff -------------------------------------------------------------

#define MAGIC 0x48534b56u  // "VKSH", as ipc/socket.ts writes it
static int handoff_socket = -1;
static int handoff_index;

// Sends one packet: vkshare's 16-byte header (magic, version, fd count, body length), the body,
// and `fd` (or none) as SCM_RIGHTS.
static void send_packet(int s, const char* body, int fd) {
  size_t len = strlen(body);
  uint8_t packet[16 + 1024];
  uint32_t magic = MAGIC, fds = fd >= 0, blen = (uint32_t)len;
  uint16_t version = 1, zero = 0;
  memcpy(packet, &magic, 4);
  memcpy(packet + 4, &version, 2);
  memcpy(packet + 6, &zero, 2);
  memcpy(packet + 8, &fds, 4);
  memcpy(packet + 12, &blen, 4);
  memcpy(packet + 16, body, len);
  struct iovec iov = {packet, 16 + len};
  union {
    struct cmsghdr h;
    char space[CMSG_SPACE(sizeof(int))];
  } control;
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
  if (fd >= 0) {
    m.msg_control = control.space;
    m.msg_controllen = sizeof control.space;
    struct cmsghdr* c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
  }
  if (sendmsg(s, &m, MSG_NOSIGNAL) < 0) die("sendmsg", 0);
}

// Receives one packet into `body` (NUL-terminated); returns the fd that came with it, or -1.
static int receive_packet(int s, char* body, size_t cap) {
  uint8_t packet[16 + 65536];
  struct iovec iov = {packet, sizeof packet};
  union {
    struct cmsghdr h;
    char space[CMSG_SPACE(sizeof(int))];
  } control;
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space,
                     .msg_controllen = sizeof control.space};
  ssize_t n = recvmsg(s, &m, MSG_CMSG_CLOEXEC);
  if (n < 16) die("recvmsg", 0);
  uint32_t magic, blen;
  memcpy(&magic, packet, 4);
  memcpy(&blen, packet + 12, 4);
  if (magic != MAGIC || blen + 16 != (size_t)n || blen >= cap) die("a packet", 0);
  memcpy(body, packet + 16, blen);
  body[blen] = 0;
  struct cmsghdr* c = CMSG_FIRSTHDR(&m);
  int fd = -1;
  if (c && c->cmsg_type == SCM_RIGHTS) memcpy(&fd, CMSG_DATA(c), sizeof(int));
  return fd;
}

// The consumer: its own instance and devices; `n` times, receives an offer, imports the memory
// into its second device, frees it, and acks.
static int by_value(const void* a, const void* b) {
  uint64_t x = *(const uint64_t*)a, y = *(const uint64_t*)b;
  return x < y ? -1 : x > y;
}

// The p50 of `n` samples (sorts them).
static double p50_us(uint64_t* v, int n) {
  qsort(v, (size_t)n, sizeof *v, by_value);
  return v[n / 2] / 1e3;
}

static void consume(int s, int n) {
  setup();
  char body[65536];
  // Each cycle's phases: receive (waiting included), import, free, ack; their p50s go to stderr.
  uint64_t* phases = calloc(4 * (size_t)n, sizeof *phases);
  for (int i = 0; i < n; i++) {
    uint64_t t0 = now();
    int fd = receive_packet(s, body, sizeof body);
    const char* at = strstr(body, "\"size\":");
    if (fd < 0 || !at) die("an offer", 0);
    uint64_t t1 = now();
    VkDeviceMemory m = import_memory(fd, strtoull(at + 7, NULL, 10));
    uint64_t t2 = now();
    vkFreeMemory(dev[1], m, NULL);
    uint64_t t3 = now();
    char ack[64];
    snprintf(ack, sizeof ack, "{\"type\":\"ack\",\"i\":%d}", i);
    send_packet(s, ack, -1);
    uint64_t t4 = now();
    phases[i] = t1 - t0, phases[n + i] = t2 - t1, phases[2 * n + i] = t3 - t2;
    phases[3 * n + i] = t4 - t3;
  }
  fprintf(stderr, "consumer phases: receive %.1f us, import %.1f us, free %.1f us, ack %.1f us\n",
          p50_us(phases, n), p50_us(phases + n, n), p50_us(phases + 2 * n, n),
          p50_us(phases + 3 * n, n));
  exit(0);
}

// Starts the consumer process (before this process opens Vulkan: no driver state is forked).
static void start_consumer(int n) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) die("socketpair", 0);
  pid_t pid = fork();
  if (pid < 0) die("fork", 0);
  if (pid == 0) {
    close(sv[0]);
    consume(sv[1], n);
  }
  close(sv[1]);
  handoff_socket = sv[0];
}

static char uuid_text[40];

// The exporter's phases of each measured handoff: export, send, wait for the ack.
static uint64_t handoff_t[3][4096];
static int handoff_count;

static uint64_t handoff_once(void) {
  char body[1024], ack[128];
  uint64_t t0 = now();
  int fd = export_memory(held);
  uint64_t t1 = now();
  // The offer vkshare sends for a plain 64 KiB export (the same fields, about the same length).
  snprintf(body, sizeof body,
           "{\"type\":\"offer\",\"version\":1,\"label\":\"handoff %d\",\"memory\":{\"version\":1,"
           "\"handleType\":\"OPAQUE_FD\",\"size\":%llu,\"memoryTypeIndex\":%u,"
           "\"memoryProperties\":[\"DEVICE_LOCAL\"],\"dedicated\":null,\"deviceUUID\":\"%s\","
           "\"driverUUID\":\"%s\",\"deviceName\":\"vkbench\",\"fdKind\":\"memfd\"},"
           "\"semaphores\":[],\"fences\":[]}",
           handoff_index++, (unsigned long long)size, device_local_type, uuid_text, uuid_text);
  send_packet(handoff_socket, body, fd);
  close(fd);
  uint64_t t2 = now();
  if (receive_packet(handoff_socket, ack, sizeof ack) >= 0 || !strstr(ack, "\"ack\"")) {
    die("the ack", 0);
  }
  uint64_t t3 = now();
  if (handoff_count < 4096) {
    handoff_t[0][handoff_count] = t1 - t0, handoff_t[1][handoff_count] = t2 - t1;
    handoff_t[2][handoff_count++] = t3 - t2;
  }
  return t3 - t0;
}

// ---- sync.soak: one cycle of tests/sync/soak_test.ts, with its phases timed -----------------
// A binary semaphore made exportable on device 0, exported, imported into a new one on device 1,
// signaled by a submission on 0 and waited by one on 1 (with a fence, waited on the host, reset);
// a timeline one made exportable on 0 (initial value n), exported, imported on 1, signaled from
// the host through 1 to n + 1 and read through 0; a fence made exportable on 0, exported,
// imported into a new one on 1; then the six objects destroyed.

static VkQueue soak_queue[2];
static VkFence soak_done;
static uint64_t soak_n;
// Per phase (binary, timeline, fence, destroys): its times in the measured cycles, whose p50s are
// printed on stderr at the end ("phases: ..."), which the runner adds to the row's notes.
#define SOAK_MAX 100000
static uint64_t soak_t[4][SOAK_MAX];
static int soak_count;

static const char* soak_prepare(void) {
  if (!has_sem_fd) return "no VK_KHR_external_semaphore_fd";
  if (!has_timeline) return "no timelineSemaphore feature";
  if (!has_fence_fd) return "no VK_KHR_external_fence_fd";
  for (int d = 0; d < 2; d++) vkGetDeviceQueue(dev[d], 0, 0, &soak_queue[d]);
  soak_done = create_fence(1, 0);
  return NULL;
}

static uint64_t soak_once(void) {
  uint64_t n = ++soak_n, t[5];
  t[0] = now();
  VkSemaphore sa = create_semaphore(0, 0, 1, 0);
  VkSemaphore sb = import_semaphore(1, export_semaphore(0, sa), 0);
  VkSubmitInfo signal = {VK_STRUCTURE_TYPE_SUBMIT_INFO, .signalSemaphoreCount = 1,
                         .pSignalSemaphores = &sa};
  CHECK(vkQueueSubmit(soak_queue[0], 1, &signal, VK_NULL_HANDLE));
  VkPipelineStageFlags stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
  VkSubmitInfo wait = {VK_STRUCTURE_TYPE_SUBMIT_INFO, .waitSemaphoreCount = 1,
                       .pWaitSemaphores = &sb, .pWaitDstStageMask = &stage};
  CHECK(vkQueueSubmit(soak_queue[1], 1, &wait, soak_done));
  CHECK(vkWaitForFences(dev[1], 1, &soak_done, VK_TRUE, 10000000000ull));
  CHECK(vkResetFences(dev[1], 1, &soak_done));
  t[1] = now();
  VkSemaphore ta = create_semaphore(0, 1, 1, n);
  VkSemaphore tb = import_semaphore(1, export_semaphore(0, ta), 1);
  VkSemaphoreSignalInfo sig = {VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO, .semaphore = tb,
                               .value = n + 1};
  CHECK(vkSignalSemaphore(dev[1], &sig));
  uint64_t value = 0;
  CHECK(vkGetSemaphoreCounterValue(dev[0], ta, &value));
  if (value != n + 1) die("sync.soak: the timeline read another value", VK_ERROR_UNKNOWN);
  t[2] = now();
  VkFence fa = create_fence(0, 1);
  VkFence fb = import_fence(export_fence(fa));
  t[3] = now();
  vkDestroyFence(dev[1], fb, NULL);
  vkDestroyFence(dev[0], fa, NULL);
  vkDestroySemaphore(dev[1], tb, NULL);
  vkDestroySemaphore(dev[0], ta, NULL);
  vkDestroySemaphore(dev[1], sb, NULL);
  vkDestroySemaphore(dev[0], sa, NULL);
  t[4] = now();
  if (soak_count < SOAK_MAX) {
    for (int i = 0; i < 4; i++) soak_t[i][soak_count] = t[i + 1] - t[i];
    soak_count++;
  }
  return t[4] - t[0];
}

static uint64_t run_once(void) {
  uint64_t t0, t1;
  if (!strcmp(op, "mem.alloc")) {
    t0 = now();
    VkDeviceMemory m = alloc(0, size, device_local_type, 1);
    t1 = now();
    vkFreeMemory(dev[0], m, NULL);
  } else if (!strcmp(op, "mem.free")) {
    VkDeviceMemory m = alloc(0, size, device_local_type, 1);
    t0 = now();
    vkFreeMemory(dev[0], m, NULL);
    t1 = now();
  } else if (!strcmp(op, "mem.export")) {
    t0 = now();
    int fd = export_memory(held);
    t1 = now();
    close(fd);
  } else if (!strcmp(op, "mem.import")) {
    int fd = export_memory(held);
    t0 = now();
    VkDeviceMemory m = import_memory(fd, size);
    t1 = now();
    vkFreeMemory(dev[1], m, NULL);
  } else if (!strcmp(op, "mem.map")) {
    void* p;
    t0 = now();
    CHECK(vkMapMemory(dev[0], held, 0, VK_WHOLE_SIZE, 0, &p));
    t1 = now();
    vkUnmapMemory(dev[0], held);
  } else if (!strcmp(op, "sem.create") || !strcmp(op, "tsem.create")) {
    t0 = now();
    VkSemaphore s = create_semaphore(0, op[0] == 't', 1, 0);
    t1 = now();
    vkDestroySemaphore(dev[0], s, NULL);
  } else if (!strcmp(op, "sem.export") || !strcmp(op, "tsem.export")) {
    t0 = now();
    int fd = export_semaphore(0, held_sem);
    t1 = now();
    close(fd);
  } else if (!strcmp(op, "sem.import") || !strcmp(op, "tsem.import")) {
    int fd = export_semaphore(0, held_sem);
    t0 = now();
    VkSemaphore s = import_semaphore(1, fd, op[0] == 't');
    t1 = now();
    vkDestroySemaphore(dev[1], s, NULL);
  } else if (!strcmp(op, "fence.create")) {
    t0 = now();
    VkFence f = create_fence(0, 1);
    t1 = now();
    vkDestroyFence(dev[0], f, NULL);
  } else if (!strcmp(op, "fence.export")) {
    t0 = now();
    int fd = export_fence(held_fence);
    t1 = now();
    close(fd);
  } else if (!strcmp(op, "fence.import")) {
    int fd = export_fence(held_fence);
    t0 = now();
    VkFence f = import_fence(fd);
    t1 = now();
    vkDestroyFence(dev[1], f, NULL);
  } else if (!strcmp(op, "timeline.signal_wait")) {
    uint64_t v = ++timeline_value;
    VkSemaphoreSignalInfo sig = {VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO, .semaphore = held_sem,
                                 .value = v};
    VkSemaphoreWaitInfo wait = {VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO, .semaphoreCount = 1,
                                .pSemaphores = &held_sem_b, .pValues = &v};
    t0 = now();
    CHECK(vkSignalSemaphore(dev[0], &sig));
    CHECK(vkWaitSemaphores(dev[1], &wait, 10000000000ull));
    t1 = now();
  } else if (!strcmp(op, "handoff")) {
    return handoff_once();
  } else if (!strcmp(op, "sync.soak")) {
    return soak_once();
  } else if (!strcmp(op, "cuda.memory")) {
    struct cuda_memory_desc d = {1, .handle.fd = export_memory(held), .size = size};
    void* ext;
    t0 = now();
    if (cuImportExternalMemory(&ext, &d) != 0) die("cuImportExternalMemory", 0);
    t1 = now();
    cuDestroyExternalMemory(ext);
  } else if (!strcmp(op, "gl.import")) {
    int fd = export_memory(held);
    unsigned mem, buf;
    t0 = now();
    glCreateMemoryObjectsEXT(1, &mem);
    glImportMemoryFdEXT(mem, size, 0x9586, fd);  // GL_HANDLE_TYPE_OPAQUE_FD_EXT: GL owns the fd
    glCreateBuffers(1, &buf);
    glNamedBufferStorageMemEXT(buf, (long)(size - gl_padding), mem, 0);
    unsigned e = glGetError();
    t1 = now();
    if (e) die("glNamedBufferStorageMemEXT", (int)e);
    glDeleteBuffers(1, &buf);
    glDeleteMemoryObjectsEXT(1, &mem);
  } else if (!strcmp(op, "gl.semaphore")) {
    VkSubmitInfo signal = {VK_STRUCTURE_TYPE_SUBMIT_INFO, .signalSemaphoreCount = 1,
                           .pSignalSemaphores = &held_sem};
    VkPipelineStageFlags stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
    VkSubmitInfo wait = {VK_STRUCTURE_TYPE_SUBMIT_INFO, .waitSemaphoreCount = 1,
                         .pWaitSemaphores = &held_sem_b, .pWaitDstStageMask = &stage};
    t0 = now();
    CHECK(vkQueueSubmit(gl_queue, 1, &signal, VK_NULL_HANDLE));
    glWaitSemaphoreEXT(gl_sem[0], 0, NULL, 0, NULL, NULL);
    glSignalSemaphoreEXT(gl_sem[1], 0, NULL, 0, NULL, NULL);
    glFlush();
    CHECK(vkQueueSubmit(gl_queue, 1, &wait, held_fence));
    CHECK(vkWaitForFences(dev[0], 1, &held_fence, VK_TRUE, 10000000000ull));
    t1 = now();
    CHECK(vkResetFences(dev[0], 1, &held_fence));
  } else if (!strcmp(op, "cuda.semaphore")) {
    struct cuda_semaphore_desc d = {9, .handle.fd = export_semaphore(0, held_sem)};
    void* ext;
    t0 = now();
    if (cuImportExternalSemaphore(&ext, &d) != 0) die("cuImportExternalSemaphore", 0);
    t1 = now();
    cuDestroyExternalSemaphore(ext);
  } else {
    fprintf(stderr, "vkbench: unknown op %s\n", op);
    exit(2);
  }
  return t1 - t0;
}

static uint64_t query_batch(int batch) {
  VkPhysicalDeviceExternalBufferInfo info = {
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_BUFFER_INFO,
      .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
      .handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT};
  VkExternalBufferProperties props = {VK_STRUCTURE_TYPE_EXTERNAL_BUFFER_PROPERTIES};
  uint64_t t0 = now();
  for (int i = 0; i < batch; i++) vkGetPhysicalDeviceExternalBufferProperties(pd, &info, &props);
  return (now() - t0) / (uint64_t)batch;
}

// ---- pipeline: examples/pipeline.ts's frame loop, in C -----------------------------------------
// Device 0 fills frame n into a buffer of exported memory (16 fills) and hands it to device 1,
// which copies it into its slot of host-visible memory; the host checks every word. In timeline
// mode two shared timeline semaphores (ready: 0 → 1, consumed: 1 → 0) keep up to 3 frames in
// flight with no host wait between the devices; in host mode (no semaphore fds) the host waits for
// each device's fence in turn. The same ownership transfers to and from VK_QUEUE_FAMILY_EXTERNAL,
// the same barriers and the same verification as the example; a frame's latency runs from its
// first submission's start to the end of its check.

#define CHUNKS 16

static uint32_t frame_value(uint32_t n, uint32_t c) {  // examples/pipeline.ts frameValue
  uint32_t x = (n * 0x9e3779b1u) ^ ((c + 1) * 0x85ebca6bu);
  x ^= x >> 16;
  return x * 0x7feb352du;
}

static uint32_t memory_type(uint32_t bits, VkMemoryPropertyFlags want) {
  VkPhysicalDeviceMemoryProperties mp;
  vkGetPhysicalDeviceMemoryProperties(pd, &mp);
  for (uint32_t i = 0; i < mp.memoryTypeCount; i++) {
    if ((bits & (1u << i)) && (mp.memoryTypes[i].propertyFlags & want) == want) return i;
  }
  for (uint32_t i = 0; i < mp.memoryTypeCount; i++) {
    if (bits & (1u << i)) return i;
  }
  die("no memory type", VK_ERROR_OUT_OF_DEVICE_MEMORY);
  return 0;
}

static VkBuffer make_buffer(int d, VkDeviceSize bytes, int external) {
  VkExternalMemoryBufferCreateInfo ext = {VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO,
                                          .handleTypes =
                                              VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT};
  VkBufferCreateInfo info = {VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, external ? &ext : NULL,
                             .size = bytes,
                             .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                      VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                             .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
  VkBuffer b;
  CHECK(vkCreateBuffer(dev[d], &info, NULL, &b));
  return b;
}

// Memory for `b` on device d: exported (export), imported from `fd` (fd >= 0) or host-visible;
// dedicated where the driver prefers or requires it, as vkshare's allocate decides.
static VkDeviceMemory bind_memory(int d, VkBuffer b, int export, int fd, int* dedicated) {
  VkMemoryDedicatedRequirements dr = {VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS};
  VkMemoryRequirements2 req = {VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2, &dr};
  VkBufferMemoryRequirementsInfo2 ri = {VK_STRUCTURE_TYPE_BUFFER_MEMORY_REQUIREMENTS_INFO_2,
                                        .buffer = b};
  vkGetBufferMemoryRequirements2(dev[d], &ri, &req);
  if (fd < 0) *dedicated = export && (dr.prefersDedicatedAllocation || dr.requiresDedicatedAllocation);
  VkMemoryDedicatedAllocateInfo ded = {VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO,
                                       .buffer = b};
  VkExportMemoryAllocateInfo exp = {VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO,
                                    *dedicated ? &ded : NULL,
                                    VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT};
  VkImportMemoryFdInfoKHR imp = {VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR,
                                 *dedicated ? &ded : NULL,
                                 VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT, fd};
  const VkMemoryPropertyFlags host =
      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  VkMemoryAllocateInfo info = {
      VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, fd >= 0 ? (void*)&imp : export ? (void*)&exp : NULL,
      req.memoryRequirements.size,
      memory_type(req.memoryRequirements.memoryTypeBits,
                  export || fd >= 0 ? VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT : host)};
  VkDeviceMemory m;
  CHECK(vkAllocateMemory(dev[d], &info, NULL, &m));
  CHECK(vkBindBufferMemory(dev[d], b, m, 0));
  return m;
}

// A buffer barrier: an ownership transfer (one family EXTERNAL) or a plain one (both IGNORED).
static void barrier(VkCommandBuffer c, VkBuffer b, VkDeviceSize offset, VkDeviceSize bytes,
                    VkPipelineStageFlags src_stage, VkAccessFlags src_access,
                    VkPipelineStageFlags dst_stage, VkAccessFlags dst_access, uint32_t src_family,
                    uint32_t dst_family) {
  VkBufferMemoryBarrier bb = {VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER,
                              .srcAccessMask = src_access,
                              .dstAccessMask = dst_access,
                              .srcQueueFamilyIndex = src_family,
                              .dstQueueFamilyIndex = dst_family,
                              .buffer = b,
                              .offset = offset,
                              .size = bytes};
  vkCmdPipelineBarrier(c, src_stage, dst_stage, 0, 0, NULL, 1, &bb, 0, NULL);
}
#define EXTERNAL VK_QUEUE_FAMILY_EXTERNAL
#define T_RW (VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT)
#define STAGE(x) VK_PIPELINE_STAGE_##x##_BIT

// Where each frame's host time went (ns, by frame): recording, submitting, waiting for B,
// checking; as examples/pipeline.ts's phasesMs.
static uint64_t* frame_phases[4];

// Checks frame m word for word in its slot of `words` (after B signals `consumed` = m, when
// given), and records its latency since its start and its wait and check phases.
static void verify_frame(uint64_t m, VkSemaphore consumed, const uint32_t* words, int depth,
                         VkDeviceSize bytes, const uint64_t* started, uint64_t* latency) {
  uint64_t w0 = now();
  if (consumed != VK_NULL_HANDLE) {
    VkSemaphoreWaitInfo w = {VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO, .semaphoreCount = 1,
                             .pSemaphores = &consumed, .pValues = &m};
    CHECK(vkWaitSemaphores(dev[1], &w, 10000000000ull));
  }
  uint64_t c0 = now();
  if (consumed != VK_NULL_HANDLE) frame_phases[2][m - 1] = c0 - w0;
  const uint32_t* f = words + ((m - 1) % depth) * (bytes / 4);
  VkDeviceSize chunk = bytes / 4 / CHUNKS;
  for (uint32_t c = 0; c < CHUNKS; c++) {
    uint32_t v = frame_value((uint32_t)m, c);
    for (VkDeviceSize i = c * chunk; i < (c + 1) * chunk; i++) {
      if (f[i] != v) {
        fprintf(stderr, "vkbench: pipeline frame %llu: word %llu is wrong\n", (unsigned long long)m,
                (unsigned long long)i);
        exit(1);
      }
    }
  }
  uint64_t end = now();
  frame_phases[3][m - 1] = end - c0;
  latency[m - 1] = end - started[m - 1];
}

static int pipeline_main(int warmup, int iterations) {
  const int depth_max = 3;
  int timeline = has_sem_fd && has_timeline;
  int depth = timeline ? depth_max : 1;
  int frames = 1 + warmup + iterations;
  VkDeviceSize bytes = size;
  if (bytes % (4 * CHUNKS)) die("pipeline: size is not a multiple of 64", VK_ERROR_UNKNOWN);

  int dedicated = 0;
  VkBuffer srcA = make_buffer(0, bytes, 1), srcB = make_buffer(1, bytes, 1);
  VkDeviceMemory memA = bind_memory(0, srcA, 1, -1, &dedicated);
  bind_memory(1, srcB, 0, export_memory(memA), &dedicated);  // freed at exit, with the rest
  VkBuffer out = make_buffer(1, bytes * depth, 0);
  VkDeviceMemory outMem = bind_memory(1, out, 0, -1, &(int){0});
  uint32_t* words;
  CHECK(vkMapMemory(dev[1], outMem, 0, VK_WHOLE_SIZE, 0, (void**)&words));

  VkSemaphore ready = VK_NULL_HANDLE, consumed = VK_NULL_HANDLE, readyB = VK_NULL_HANDLE,
              consumedA = VK_NULL_HANDLE;
  if (timeline) {
    ready = create_semaphore(0, 1, 1, 0);
    consumed = create_semaphore(1, 1, 1, 0);
    readyB = import_semaphore(1, export_semaphore(0, ready), 1);
    consumedA = import_semaphore(0, export_semaphore(1, consumed), 1);
  }
  VkCommandPool pool[2];
  VkCommandBuffer cmd[2][3];
  VkFence fence[2][3];
  VkQueue queue[2];
  for (int d = 0; d < 2; d++) {
    VkCommandPoolCreateInfo pi = {VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                  .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                  .queueFamilyIndex = 0};
    CHECK(vkCreateCommandPool(dev[d], &pi, NULL, &pool[d]));
    VkCommandBufferAllocateInfo ai = {VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = pool[d],
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = (uint32_t)depth};
    CHECK(vkAllocateCommandBuffers(dev[d], &ai, cmd[d]));
    for (int i = 0; i < depth; i++) fence[d][i] = create_fence(d, 0);
    vkGetDeviceQueue(dev[d], 0, 0, &queue[d]);
  }

  uint64_t* started = calloc(frames, sizeof *started);
  uint64_t* latency = calloc(frames, sizeof *latency);
  for (int i = 0; i < 4; i++) frame_phases[i] = calloc(frames, sizeof(uint64_t));
  const uint64_t timeout = 10000000000ull;
  VkCommandBufferBeginInfo begin = {VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                    .flags = VK_COMMAND_BUFFER_USAGE_SIMULTANEOUS_USE_BIT};
  for (int n = 1; n <= frames; n++) {
    started[n - 1] = now();
    int slot = (n - 1) % depth;
    if (n > depth) {
      for (int d = 0; d < 2; d++) {
        CHECK(vkWaitForFences(dev[d], 1, &fence[d][slot], VK_TRUE, timeout));
        CHECK(vkResetFences(dev[d], 1, &fence[d][slot]));
      }
    }
    VkCommandBuffer a = cmd[0][slot], b = cmd[1][slot];
    uint64_t r0 = now();
    CHECK(vkBeginCommandBuffer(a, &begin));
    if (n > 1) barrier(a, srcA, 0, VK_WHOLE_SIZE, STAGE(TOP_OF_PIPE), 0, STAGE(TRANSFER), T_RW, EXTERNAL, 0);
    for (uint32_t c = 0; c < CHUNKS; c++) {
      vkCmdFillBuffer(a, srcA, c * bytes / CHUNKS, bytes / CHUNKS, frame_value((uint32_t)n, c));
    }
    barrier(a, srcA, 0, VK_WHOLE_SIZE, STAGE(TRANSFER), VK_ACCESS_TRANSFER_WRITE_BIT,
            STAGE(BOTTOM_OF_PIPE), 0, 0, EXTERNAL);
    CHECK(vkEndCommandBuffer(a));
    CHECK(vkBeginCommandBuffer(b, &begin));
    barrier(b, srcB, 0, VK_WHOLE_SIZE, STAGE(TOP_OF_PIPE), 0, STAGE(TRANSFER), T_RW, EXTERNAL, 0);
    VkBufferCopy region = {0, slot * bytes, bytes};
    vkCmdCopyBuffer(b, srcB, out, 1, &region);
    barrier(b, srcB, 0, VK_WHOLE_SIZE, STAGE(TRANSFER), 0, STAGE(BOTTOM_OF_PIPE), 0, 0, EXTERNAL);
    barrier(b, out, slot * bytes, bytes, STAGE(TRANSFER), VK_ACCESS_TRANSFER_WRITE_BIT,
            STAGE(HOST), VK_ACCESS_HOST_READ_BIT, VK_QUEUE_FAMILY_IGNORED,
            VK_QUEUE_FAMILY_IGNORED);
    CHECK(vkEndCommandBuffer(b));
    uint64_t s0 = now();
    frame_phases[0][n - 1] = s0 - r0;
    VkSubmitInfo sa = {VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1,
                       .pCommandBuffers = &a};
    VkSubmitInfo sb = {VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1,
                       .pCommandBuffers = &b};
    if (timeline) {
      uint64_t prev = (uint64_t)n - 1, cur = (uint64_t)n;
      VkPipelineStageFlags stage = STAGE(TRANSFER);
      VkTimelineSemaphoreSubmitInfo ta = {VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
                                          .waitSemaphoreValueCount = n > 1,
                                          .pWaitSemaphoreValues = &prev,
                                          .signalSemaphoreValueCount = 1,
                                          .pSignalSemaphoreValues = &cur};
      sa.pNext = &ta;
      sa.waitSemaphoreCount = n > 1;
      sa.pWaitSemaphores = &consumedA;
      sa.pWaitDstStageMask = &stage;
      sa.signalSemaphoreCount = 1;
      sa.pSignalSemaphores = &ready;
      CHECK(vkQueueSubmit(queue[0], 1, &sa, fence[0][slot]));
      VkTimelineSemaphoreSubmitInfo tb = {VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
                                          .waitSemaphoreValueCount = 1,
                                          .pWaitSemaphoreValues = &cur,
                                          .signalSemaphoreValueCount = 1,
                                          .pSignalSemaphoreValues = &cur};
      sb.pNext = &tb;
      sb.waitSemaphoreCount = 1;
      sb.pWaitSemaphores = &readyB;
      sb.pWaitDstStageMask = &stage;
      sb.signalSemaphoreCount = 1;
      sb.pSignalSemaphores = &consumed;
      CHECK(vkQueueSubmit(queue[1], 1, &sb, fence[1][slot]));
      frame_phases[1][n - 1] = now() - s0;
      if (n >= depth) {
        verify_frame(n - depth + 1, consumed, words, depth, bytes, started, latency);
      }
    } else {
      uint64_t t[5];
      t[0] = now();
      CHECK(vkQueueSubmit(queue[0], 1, &sa, fence[0][slot]));
      t[1] = now();
      CHECK(vkWaitForFences(dev[0], 1, &fence[0][slot], VK_TRUE, timeout));
      t[2] = now();
      CHECK(vkQueueSubmit(queue[1], 1, &sb, fence[1][slot]));
      t[3] = now();
      CHECK(vkWaitForFences(dev[1], 1, &fence[1][slot], VK_TRUE, timeout));
      t[4] = now();
      frame_phases[1][n - 1] = t[1] - t[0] + t[3] - t[2];
      frame_phases[2][n - 1] = t[2] - t[1] + t[4] - t[3];
      verify_frame(n, VK_NULL_HANDLE, words, depth, bytes, started, latency);
    }
  }
  if (timeline) {
    for (int m = frames - depth + 2 > 1 ? frames - depth + 2 : 1; m <= frames; m++) {
      verify_frame(m, consumed, words, depth, bytes, started, latency);
    }
  }
  printf("{\"op\": \"pipeline\", \"size\": %llu, \"mode\": \"%s\", \"cold_ns\": %llu, \"warm_ns\": [",
         (unsigned long long)size, timeline ? "timeline" : "host",
         (unsigned long long)latency[0]);
  for (int i = 0; i < iterations; i++) {
    printf("%s%llu", i ? ", " : "", (unsigned long long)latency[1 + warmup + i]);
  }
  printf("]}\n");
  // The measured frames' phases (p50s).
  double p50[4];
  for (int i = 0; i < 4; i++) p50[i] = p50_us(frame_phases[i] + 1 + warmup, iterations);
  fprintf(stderr, "phases: record %.1f us, submit %.1f us, wait %.1f us, check %.1f us\n", p50[0],
          p50[1], p50[2], p50[3]);
  for (int d = 0; d < 2; d++) CHECK(vkQueueWaitIdle(queue[d]));
  return 0;
}

// Two binary semaphores of device 0, each imported into GL once, and a fence for the way back.
static const char* gl_semaphore_prepare(void) {
  if (!has_sem_fd) return "no VK_KHR_external_semaphore_fd";
  if (!gl_semaphores) return "GL has no GL_EXT_semaphore_fd";
  vkGetDeviceQueue(dev[0], 0, 0, &gl_queue);
  held_sem = create_semaphore(0, 0, 1, 0);
  held_sem_b = create_semaphore(0, 0, 1, 0);
  glGenSemaphoresEXT(2, gl_sem);
  glImportSemaphoreFdEXT(gl_sem[0], 0x9586, export_semaphore(0, held_sem));  // GL owns the fds
  glImportSemaphoreFdEXT(gl_sem[1], 0x9586, export_semaphore(0, held_sem_b));
  held_fence = create_fence(0, 0);
  unsigned e = glGetError();
  if (e) die("glImportSemaphoreFdEXT", (int)e);
  return NULL;
}

static const char* prepare(void) {
  int sem = !strncmp(op, "sem.", 4) || !strncmp(op, "tsem.", 5) || !strcmp(op, "cuda.semaphore") ||
            !strcmp(op, "timeline.signal_wait");
  int timeline = op[0] == 't' || !strcmp(op, "cuda.semaphore");
  if (sem && !has_sem_fd) return "no VK_KHR_external_semaphore_fd";
  if (sem && timeline && !has_timeline) return "no timelineSemaphore feature";
  if (!strncmp(op, "fence.", 6) && !has_fence_fd) return "no VK_KHR_external_fence_fd";
  if (!strncmp(op, "cuda.", 5)) {
    const char* why = cuda_setup();
    if (why) return why;
  }
  if (!strncmp(op, "gl.", 3)) {
    const char* why = gl_setup();
    if (why) return why;
  }
  if (!strcmp(op, "gl.semaphore")) return gl_semaphore_prepare();
  if (!strcmp(op, "mem.map")) {
    if (host_type == UINT32_MAX) return "no host-visible memory type";
    held = alloc(0, size, host_type, 0);
  } else if (!strcmp(op, "mem.export") || !strcmp(op, "mem.import") ||
             !strcmp(op, "cuda.memory") || !strcmp(op, "gl.import") || !strcmp(op, "handoff")) {
    held = alloc(0, size, device_local_type, 1);
  }
  if (sem) held_sem = create_semaphore(0, timeline, 1, 0);
  if (!strcmp(op, "timeline.signal_wait")) held_sem_b = import_semaphore(1, export_semaphore(0, held_sem), 1);
  if (!strncmp(op, "fence.", 6)) held_fence = create_fence(0, 1);
  if (!strcmp(op, "sync.soak")) return soak_prepare();
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: vkbench <op> <size> <iterations> [batch]\n");
    return 2;
  }
  op = argv[1];
  size = strtoull(argv[2], NULL, 10);
  int iterations = atoi(argv[3]);
  int batch = argc > 4 ? atoi(argv[4]) : 1;
  int warmup = iterations > 20 ? iterations : 20;  // runs: as many as measured, at least 20
  if (!strcmp(op, "handoff")) start_consumer(1 + warmup + iterations);
  setup();
  for (int i = 0; i < 16; i++) sprintf(uuid_text + 2 * i, "%02x", device_uuid[i]);
  if (!strcmp(op, "pipeline")) return pipeline_main(warmup, iterations);
  const char* why = prepare();
  if (why) {
    printf("{\"op\": \"%s\", \"unsupported\": \"%s\"}\n", op, why);
    return 0;
  }
  int query = !strcmp(op, "query");
  uint64_t cold = query ? query_batch(1) : run_once();
  // As bench/run.ts: at least `warmup` runs and 250 ms (a handoff: exactly `warmup`, the number
  // its consumer was started for).
  uint64_t until = now() + 250000000ull;
  for (int i = 0; i < warmup || (handoff_socket < 0 && now() < until); i++) {
    query ? query_batch(batch) : run_once();
  }
  soak_count = 0, handoff_count = 0;  // the phases of the measured cycles only
  printf("{\"op\": \"%s\", \"size\": %llu, \"cold_ns\": %llu, \"warm_ns\": [", op,
         (unsigned long long)size, (unsigned long long)cold);
  for (int i = 0; i < iterations; i++) {
    uint64_t t = query ? query_batch(batch) : run_once();
    printf("%s%llu", i ? ", " : "", (unsigned long long)t);
  }
  printf("]}\n");
  if (soak_count) {
    double p50[4];
    for (int i = 0; i < 4; i++) {
      qsort(soak_t[i], soak_count, sizeof(uint64_t), by_value);
      p50[i] = soak_t[i][soak_count / 2] / 1e3;
    }
    fprintf(stderr, "phases: binary %.1f us, timeline %.1f us, fence %.1f us, destroys %.1f us\n",
            p50[0], p50[1], p50[2], p50[3]);
  }
  if (handoff_socket >= 0) {
    close(handoff_socket);
    wait(NULL);  // the consumer's phases line comes first
    fprintf(stderr, "phases: export %.1f us, send %.1f us, wait for the ack %.1f us\n",
            p50_us(handoff_t[0], handoff_count), p50_us(handoff_t[1], handoff_count),
            p50_us(handoff_t[2], handoff_count));
  }
  return 0;
}
