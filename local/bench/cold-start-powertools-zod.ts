/**
 * The third yardstick of `npm run bench:cold-start`: the Powertools yardstick with its event validated by a
 * zod schema at the edge, as the stack requires of every handler (zod 4, the classic API the Powertools
 * parser schemas are written in).
 */
import { z } from 'zod';
import { handler as read } from './cold-start-powertools';

const eventSchema = z.object({ id: z.string().min(1).max(256) });

export const handler = async (event: unknown) => read(eventSchema.parse(event));
