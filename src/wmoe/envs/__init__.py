"""Gymnasium environments of the wmoe suite, one sub-package per problem family."""
