// Diagnostic: how many VkInstances can one process create and destroy in a row?
//   cc instance_loop.c -lvulkan && ./a.out 100 [enumerate]
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vulkan/vulkan.h>

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 100;
  int enumerate = argc > 2 && strcmp(argv[2], "enumerate") == 0;
  for (int i = 0; i < n; i++) {
    VkApplicationInfo app = {VK_STRUCTURE_TYPE_APPLICATION_INFO, NULL, "loop", 1, NULL, 0,
                             VK_API_VERSION_1_3};
    VkInstanceCreateInfo ci = {VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO, NULL, 0, &app, 0, NULL, 0,
                               NULL};
    VkInstance inst;
    VkResult r = vkCreateInstance(&ci, NULL, &inst);
    if (r != VK_SUCCESS) {
      printf("iteration %d: vkCreateInstance returned %d\n", i, r);
      return 1;
    }
    if (enumerate) {
      uint32_t c = 0;
      vkEnumeratePhysicalDevices(inst, &c, NULL);
      VkPhysicalDevice pds[8];
      if (c > 8) c = 8;
      vkEnumeratePhysicalDevices(inst, &c, pds);
    }
    vkDestroyInstance(inst, NULL);
  }
  printf("%d iterations ok\n", n);
  return 0;
}
