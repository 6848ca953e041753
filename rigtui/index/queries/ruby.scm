; Ruby.

(class name: (constant) @name) @definition.class
(class name: (scope_resolution name: (_) @name)) @definition.class
(module name: (constant) @name) @definition.module
(module name: (scope_resolution name: (_) @name)) @definition.module
(method name: (_) @name) @definition.method
(singleton_method name: (_) @name) @definition.method
(assignment left: (constant) @name) @definition.constant

(call method: (identifier) @name) @reference.member
(call receiver: (constant) @name) @reference.type
(superclass (constant) @name) @reference.type
(superclass (scope_resolution name: (constant) @name)) @reference.type
(call
  method: (identifier) @_require
  arguments: (argument_list (string (string_content) @name))
  (#any-of? @_require "require" "require_relative")) @reference.import
