# Checks shared by the consumer projects, run at their configure time.

# The library must not push flags onto its users (warnings live on a private target).
function(innspect_consumer_check_clean_target target)
  foreach(prop INTERFACE_COMPILE_OPTIONS INTERFACE_LINK_OPTIONS)
    get_target_property(value ${target} ${prop})
    if(value)
      message(FATAL_ERROR "${target} forces ${prop} on its users: ${value}")
    endif()
  endforeach()
endfunction()

# Used as a sub-project, innspect must build nothing of its own: no tests, examples, benchmarks.
function(innspect_consumer_check_no_extras)
  foreach(target innspect_tests innspect_h5_tests innspect_warnings)
    if(TARGET ${target})
      message(FATAL_ERROR "innspect as a sub-project defined its private target ${target}")
    endif()
  endforeach()
endfunction()
