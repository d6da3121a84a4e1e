// PLACEHOLDER: the config helper replaces this file with the real schema.
