// Public C ABI of the @gan/dcgan libtorch shim: opaque tensor handles and flat functions.
// Every creating call returns NULL on failure and every other call -1; read t_last_error() then.
#pragma once
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** An owned reference to an at::Tensor; release with t_free. */
typedef void* tensor;

const char* t_last_error(void);
void t_free(tensor a);
int64_t t_live_count(void);

#ifdef __cplusplus
}
#endif
