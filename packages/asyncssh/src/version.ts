/** The version announced in our identification string (kept in step with package.json by a test). */
export const VERSION = '0.0.0';
