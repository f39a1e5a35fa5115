// Per-split image counts, as the sources' options give them.
import { z } from 'zod';

export const splitCounts = z.strictObject({ train: z.number().int().min(0), val: z.number().int().min(0), test: z.number().int().min(0) }).partial();
