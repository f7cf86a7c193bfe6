# Copyright (c) mmuda contributors. All rights reserved.
