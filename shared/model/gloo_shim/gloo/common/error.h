// See ../../README.md: a declaration-only stand-in for Gloo's header.
#pragma once
