SELECT version FROM idloom_schema WHERE component = 'coordination'
