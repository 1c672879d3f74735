/* Model checks done once by nnsp_init, so that the per-hop code needs none (docs/fixed-point.md lists the
 * ranges each check guarantees). */
#ifndef NNSP_VALIDATE_H
#define NNSP_VALIDATE_H

#include "nnsp.h"

nnsp_status nnsp_validate_model(const nnsp_model *model);

#endif /* NNSP_VALIDATE_H */
