import type { FastifyInstance } from 'fastify';
import type { ApiServices } from '../services.js';

/** Routes of this resource (to be written). */
export async function l7RuleRoutes(_app: FastifyInstance, _services: ApiServices): Promise<void> {}
