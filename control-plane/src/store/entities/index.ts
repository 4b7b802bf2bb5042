/** Every entity schema the ORM manages. */
import { ServiceAccountSchema } from "./service-account.js";

/** The entity list given to MikroORM. */
export const entities = [ServiceAccountSchema];
