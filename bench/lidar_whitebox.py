"""WhiteboxTools' lidar_rooftop_analysis on the benchmark's suite (bench/lidar-whitebox.sh).

Usage: python lidar_whitebox.py DIR — reads DIR/suite.laz and DIR/footprints.shp, writes
DIR/whitebox.shp and prints {"seconds": …} (the tool's own run, reading and writing excluded).
"""

import json
import sys
import time

import whitebox_workflows as wbw

d = sys.argv[1]
env = wbw.WbEnvironment()
env.working_directory = d
env.verbose = False
lidar = env.read_lidar("suite.laz")
footprints = env.read_vector("footprints.shp")
t0 = time.perf_counter()
roofs = env.lidar.lidar_rooftop_analysis(inputs=[lidar], building_footprints=footprints)
seconds = time.perf_counter() - t0
env.write_vector(roofs, "whitebox.shp")
print(json.dumps({"seconds": seconds}))
