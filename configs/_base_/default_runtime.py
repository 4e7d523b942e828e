default_scope = 'vitok_mm'
