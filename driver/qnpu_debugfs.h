/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef __QNPU_DEBUGFS_H__
#define __QNPU_DEBUGFS_H__

#include "qnpu_drv.h"

#if IS_ENABLED(CONFIG_DEBUG_FS)
void qnpu_debugfs_init(struct qnpu_device *qdev);
#else
static inline void qnpu_debugfs_init(struct qnpu_device *qdev) { }
#endif

#endif /* __QNPU_DEBUGFS_H__ */
